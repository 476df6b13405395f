package cli

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"camscope/app/display"
	"camscope/assets"
	"camscope/inference"
	"camscope/inference/cam"
	"camscope/inference/npy"
)

const shared = "../../../shared"

var mobilenet = filepath.Join(shared, "models", "mobilenet_v2_1.0_224.onnx")

func runCLI(t testing.TB, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(&Env{Stdout: &out, Stderr: &errb}, args)
	return code, out.String(), errb.String()
}

// readReport reads and decodes the report.json the explain command wrote
// in dir.
func readReport(t testing.TB, dir string) display.Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep display.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("%s/report.json: %v", dir, err)
	}
	return rep
}

func TestExplainPhoto(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "explain", "--image", filepath.Join(shared, "images", "pets.png"), "--model", mobilenet,
		"--top", "3", "--class", "tabby", "--box", "--out", out)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "Italian greyhound") {
		t.Errorf("output does not name the top class:\n%s", stdout)
	}
	rep := readReport(t, out)
	if len(rep.Classes) != 4 || rep.Classes[0].Index != 172 || rep.Classes[3].Index != 282 || rep.Classes[3].Rank != 0 {
		t.Fatalf("report classes %+v: want the top 3 (172 first) and the searched tabby", rep.Classes)
	}
	if rep.Method != "cam" || rep.Model.Layer != "features" || rep.Photo.Width != 512 || rep.Source.Convention != "tf-slim" {
		t.Errorf("report header %+v", rep)
	}
	for _, c := range rep.Classes {
		for _, f := range []string{c.Overlay, c.Map} {
			if _, err := os.Stat(filepath.Join(out, f)); err != nil {
				t.Errorf("missing %s", f)
			}
		}
		if len(c.Box) != 4 || c.Box[2] <= c.Box[0] || c.Box[3] <= c.Box[1] {
			t.Errorf("class %d: box %v", c.Index, c.Box)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "grid.png")); err != nil {
		t.Error(err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(out, ".camscope-*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

// hugePNG returns the start of a PNG that declares w x h pixels: enough for
// a decoder to read the size, nothing more.
func hugePNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// TestExplainFolder: bad files in a folder are reported, the good photo is
// still explained, and the exit code says that some inputs failed.
func TestExplainFolder(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	good, err := os.ReadFile(filepath.Join(shared, "images", "bird.png"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"bird.png":      good,
		"huge.png":      hugePNG(30000, 30000),
		"empty.jpg":     nil,
		"truncated.png": good[:len(good)/3],
		"notes.png":     []byte("this is text, not a picture\n"),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(in, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := runCLI(t, "explain", "--image", in, "--model", mobilenet, "--out", out)
	if code != ExitFailed {
		t.Fatalf("exit %d, want %d (some failed): %s", code, ExitFailed, stderr)
	}
	if !strings.Contains(stdout, "1 of 5 photos explained") {
		t.Errorf("summary: %s", stdout)
	}
	if strings.Contains(stderr, "\r") {
		t.Errorf("stderr is not a terminal, but a progress bar was drawn on it: %q", stderr)
	}
	// Each photo's top class on stdout and in summary.csv, as its report says.
	rep := readReport(t, filepath.Join(out, "bird"))
	top := rep.Classes[0]
	if want := fmt.Sprintf("bird.png: 1. %s %.1f%%", top.Label, 100*top.Prob); !strings.Contains(stdout, want) {
		t.Errorf("stdout lacks %q:\n%s", want, stdout)
	}
	f, err := os.Open(filepath.Join(out, "summary.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+len(rep.Classes)+4 {
		t.Fatalf("summary.csv has %d rows, want a header, %d classes of bird.png and 4 failures", len(rows), len(rep.Classes))
	}
	want := []string{"bird.png", "bird", "1", strconv.Itoa(top.Index), top.Label}
	if !slices.Equal(rows[1][:5], want) || rows[1][10] != "" {
		t.Errorf("summary.csv's first row %v, want %v...", rows[1], want)
	}
	if p, err := strconv.ParseFloat(rows[1][5], 64); err != nil || math.Abs(p-top.Prob) > 1e-6 {
		t.Errorf("probability %q, report says %g", rows[1][5], top.Prob)
	}
	if box := rows[1][6:10]; top.Box != nil && box[0] != strconv.Itoa(top.Box[0]) {
		t.Errorf("box %v, report says %v", box, top.Box)
	}
	failures := 0
	for _, r := range rows[1:] {
		if r[10] != "" {
			failures++
		}
	}
	if failures != 4 {
		t.Errorf("%d failure rows, want 4", failures)
	}
	for _, want := range []string{"huge.png", "30000x30000", "empty.jpg", "truncated.png", "notes.png"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not mention %q:\n%s", want, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "bird", "report.json")); err != nil {
		t.Errorf("the good photo was not explained: %v", err)
	}
	for _, bad := range []string{"huge", "empty", "truncated", "notes"} {
		if _, err := os.Stat(filepath.Join(out, bad)); err == nil {
			t.Errorf("a folder was written for the bad photo %s", bad)
		}
	}
}

func TestExplainTensorInput(t *testing.T) {
	out := t.TempDir()
	code, _, stderr := runCLI(t, "explain", "--input", filepath.Join(shared, "reference", "input.npy"),
		"--model", filepath.Join(shared, "reference", "vgg_small.onnx"), "--top", "2", "--out", out)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rep := readReport(t, out)
	// vgg_small has no GAP head: auto picks Grad-CAM; maps stay on the
	// tensor's 224x224 grid.
	if rep.Method != "gradcam" || rep.Photo.Width != 224 || rep.Model.MapSize != [2]int{7, 7} || rep.Model.CAMApplies {
		t.Errorf("report %+v", rep)
	}
}

func TestExplainErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file.txt")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	pets := filepath.Join(shared, "images", "pets.png")
	cases := map[string]struct {
		args []string
		code int
		says string
	}{
		"no input":                  {[]string{"--model", mobilenet}, ExitUsage, "exactly one of --image and --input"},
		"bad top":                   {[]string{"--image", pets, "--model", mobilenet, "--top", "50"}, ExitUsage, "--top must be between 1 and 20"},
		"bad colormap":              {[]string{"--image", pets, "--model", mobilenet, "--colormap", "rainbow"}, ExitUsage, "viridis"},
		"bad method":                {[]string{"--image", pets, "--model", mobilenet, "--method", "lime"}, ExitUsage, "use cam, gradcam, gradcampp"},
		"unknown class":             {[]string{"--image", pets, "--model", mobilenet, "--class", "zebrafish"}, ExitUsage, "zebrafish"},
		"missing photo":             {[]string{"--image", filepath.Join(dir, "nope.png"), "--model", mobilenet}, ExitFailed, "nope.png"},
		"missing model":             {[]string{"--image", pets, "--model", filepath.Join(dir, "nope.onnx")}, ExitFailed, "does not exist"},
		"photo as model":            {[]string{"--image", pets, "--model", pets}, ExitFailed, "not an ONNX model"},
		"unwritable output":         {[]string{"--image", pets, "--model", mobilenet, "--out", filepath.Join(file, "out")}, ExitFailed, "output folder"},
		"crop, stretches":           {[]string{"--image", pets, "--model", mobilenet, "--crop-fraction", "0.9"}, ExitFailed, "does not crop"},
		"cam without head":          {[]string{"--image", pets, "--model", filepath.Join(shared, "reference", "vgg_small.onnx"), "--method", "cam"}, ExitFailed, "Grad-CAM"},
		"eigen-smooth eigencam":     {[]string{"--image", pets, "--model", mobilenet, "--method", "eigencam", "--eigen-smooth"}, ExitUsage, "smoothing: eigencam is a principal component already"},
		"eigen-smooth eigengradcam": {[]string{"--image", pets, "--model", mobilenet, "--method", "EigenGrad-CAM", "--eigen-smooth"}, ExitUsage, "eigen-smoothing would change nothing"},
		"score without scorecam":    {[]string{"--image", pets, "--model", mobilenet, "--method", "gradcam", "--score-channels", "8"}, ExitUsage, "give --method scorecam"},
		"negative score channels":   {[]string{"--image", pets, "--model", mobilenet, "--method", "scorecam", "--score-channels", "-1"}, ExitUsage, "--score-channels must be 0"},
		"scorecam aug-smooth":       {[]string{"--image", pets, "--model", mobilenet, "--method", "scorecam", "--aug-smooth"}, ExitUsage, "six times"},
		"rollout on a CNN":          {[]string{"--image", pets, "--model", mobilenet, "--method", "rollout"}, ExitFailed, "no attention between a class token and the patches"},
		"heads-max without rollout": {[]string{"--image", pets, "--model", mobilenet, "--method", "gradcam", "--heads-max"}, ExitUsage, "for rollout, not gradcam"},
		"layer twice":               {[]string{"--image", pets, "--model", mobilenet, "--layer", "a", "--layer", "a"}, ExitUsage, `--layer "a" is given twice`},
		"empty layer":               {[]string{"--image", pets, "--model", mobilenet, "--layer", ""}, ExitUsage, "--layer needs a tensor name"},
		"layers without model":      {[]string{"--image", pets, "--layer", "a", "--layer", "b"}, ExitUsage, "need --model"},
		"unknown layer":             {[]string{"--image", pets, "--model", mobilenet, "--layer", "a", "--layer", "b"}, ExitFailed, `no tensor named "a"`},
		"cam on two layers": {[]string{"--input", filepath.Join(shared, "reference", "input.npy"), "--model", filepath.Join(shared, "reference", "resnet18.onnx"),
			"--layer", "/layer4/layer4.0/relu_1/Relu_output_0", "--layer", "/layer3/layer3.1/relu_1/Relu_output_0", "--method", "cam"}, ExitFailed, "alone; use Grad-CAM"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := runCLI(t, append([]string{"explain"}, c.args...)...)
			if code != c.code || !strings.Contains(stderr, c.says) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, c.code, c.says)
			}
		})
	}
}

// TestExplainEveryMethod: --method takes every method but CAM on a model
// without a GAP head, in the window's spelling too, and the report records
// it by its name.
func TestExplainEveryMethod(t *testing.T) {
	for _, spelling := range []string{"gradcam", "Grad-CAM++", "xgradcam", "HiResCAM", "layercam", "Eigen-CAM", "eigengradcam", "Score-CAM", "ablationcam"} {
		t.Run(spelling, func(t *testing.T) {
			out := t.TempDir()
			code, _, stderr := runCLI(t, "explain", "--input", filepath.Join(shared, "reference", "input.npy"),
				"--model", filepath.Join(shared, "reference", "vgg_small.onnx"), "--top", "2", "--method", spelling, "--out", out)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			rep := readReport(t, out)
			want, err := cam.ParseMethod(spelling)
			if err != nil || rep.Method != string(want) || len(rep.Classes) != 2 {
				t.Errorf("report method %q with %d classes; want %q (%v) with 2", rep.Method, len(rep.Classes), want, err)
			}
		})
	}
}

// TestExplainRollout: --method rollout on vit_tiny (with --heads-max too)
// says it follows the attention of its 4 blocks, gives a 14x14 map (the
// patch grid) and records the method.
func TestExplainRollout(t *testing.T) {
	for _, extra := range [][]string{nil, {"--heads-max"}} {
		out := t.TempDir()
		args := append([]string{"explain", "--input", filepath.Join(shared, "reference", "input.npy"),
			"--model", filepath.Join(shared, "reference", "vit_tiny.onnx"), "--top", "1", "--method", "Attention rollout", "--out", out}, extra...)
		code, stdout, stderr := runCLI(t, args...)
		if code != ExitOK {
			t.Fatalf("%v: exit %d: %s", extra, code, stderr)
		}
		if !strings.Contains(stdout, "rollout on the attention of 4 blocks (14x14 map)") {
			t.Errorf("%v: stdout %q", extra, stdout)
		}
		if rep := readReport(t, out); rep.Method != "rollout" {
			t.Errorf("%v: report method %q", extra, rep.Method)
		}
	}
}

// TestExplainScoreCAMFast: --score-channels N runs N channels and
// interpolates the others' scores, so every channel that is not constant
// is weighed (far more than N), the weights differ from those of every
// channel run (no --score-channels), and --score-baseline is accepted;
// both are recorded as Score-CAM's.
func TestExplainScoreCAMFast(t *testing.T) {
	weightsOf := func(extra ...string) []float32 {
		out := t.TempDir()
		code, _, stderr := runCLI(t, append([]string{"explain", "--input", filepath.Join(shared, "reference", "input.npy"),
			"--model", filepath.Join(shared, "reference", "vgg_small.onnx"), "--top", "1", "--method", "scorecam",
			"--score-baseline", "--out", out}, extra...)...)
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		rep := readReport(t, out)
		if rep.Method != "scorecam" || len(rep.Classes) != 1 || len(rep.Classes[0].ChannelWeights) != 1 {
			t.Fatalf("report: method %q, %d classes", rep.Method, len(rep.Classes))
		}
		return rep.Classes[0].ChannelWeights[0]
	}
	weights := weightsOf("--score-channels", "16")
	nonzero := 0
	for _, w := range weights {
		if w != 0 {
			nonzero++
		}
	}
	if nonzero <= 16 {
		t.Errorf("%d channels weighed, want every channel that is not constant (far more than the 16 run)", nonzero)
	}
	if exact := weightsOf(); slices.Equal(weights, exact) {
		t.Errorf("--score-channels 16 gave the weights of every channel run")
	}
}

// TestExplainOcclusion: --method occlusion maps at the input's
// resolution with the square asked for, and its options are refused
// with another method.
func TestExplainOcclusion(t *testing.T) {
	out := t.TempDir()
	code, _, stderr := runCLI(t, "explain", "--input", filepath.Join(shared, "reference", "input.npy"),
		"--model", filepath.Join(shared, "reference", "vgg_small.onnx"), "--top", "1", "--method", "occlusion",
		"--occlusion-window", "112", "--occlusion-stride", "56", "--out", out)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rep := readReport(t, out)
	if rep.Method != "occlusion" || rep.Model.MapSize != [2]int{224, 224} || len(rep.Classes) != 1 || rep.Classes[0].ChannelWeights != nil {
		t.Fatalf("report: method %q, map %v, classes %+v", rep.Method, rep.Model.MapSize, rep.Classes)
	}
	code, _, stderr = runCLI(t, "explain", "--input", filepath.Join(shared, "reference", "input.npy"),
		"--model", filepath.Join(shared, "reference", "vgg_small.onnx"), "--method", "gradcam", "--occlusion-window", "8", "--out", t.TempDir())
	if code != ExitUsage || !strings.Contains(stderr, "give --method occlusion") {
		t.Errorf("--occlusion-window with Grad-CAM: exit %d: %s", code, stderr)
	}
}

// TestExplainInnerLayer: Grad-CAM works at a layer the user picks; CAM
// there is refused with a sentence that says why.
func TestExplainInnerLayer(t *testing.T) {
	out := t.TempDir()
	layer := "/layer3/layer3.1/relu_1/Relu_output_0"
	args := []string{"explain", "--input", filepath.Join(shared, "reference", "input.npy"),
		"--model", filepath.Join(shared, "reference", "resnet18.onnx"), "--layer", layer, "--top", "2", "--out", out}
	code, _, stderr := runCLI(t, append(args, "--method", "gradcam")...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rep := readReport(t, out)
	if rep.Model.Layer != layer || rep.Model.MapSize != [2]int{14, 14} || rep.Method != "gradcam" {
		t.Errorf("report model %+v, method %s", rep.Model, rep.Method)
	}
	code, _, stderr = runCLI(t, append(args, "--method", "cam")...)
	if code != ExitFailed || !strings.Contains(stderr, "use Grad-CAM at other layers") {
		t.Errorf("CAM at an inner layer: exit %d, %s", code, stderr)
	}
}

// TestExplainBuiltin: without --model, explain uses the built-in shapes
// model, here on one of its own sample scenes.
func TestExplainBuiltin(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	data, err := assets.ShapesSamples.ReadFile("shapes/sample_circle.png")
	if err != nil {
		t.Fatal(err)
	}
	scene := filepath.Join(dir, "circle.png")
	if err := os.WriteFile(scene, data, 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "explain", "--image", scene, "--model", "builtin:shapes", "--top", "3", "--out", out)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "shapes (built-in)") || !strings.Contains(stdout, "1. circle") {
		t.Errorf("output does not name the built-in shapes model and the circle first:\n%s", stdout)
	}
	// With no --model, a photo is explained by the built-in ImageNet
	// classifier, offline: the README's example names a dog breed first.
	code, stdout, stderr = runCLI(t, "explain", "--image", filepath.Join(shared, "images", "pets.png"), "--out", t.TempDir())
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "MobileNetV2 (built-in)") || !strings.Contains(stdout, "1. Italian greyhound") {
		t.Errorf("with no --model, want the built-in MobileNetV2 and a dog first:\n%s", stdout)
	}
	for _, model := range []string{"builtin:mobilenet-v2", "builtin:shapes"} {
		if code, stdout, stderr := runCLI(t, "bench", "--model", model, "--runs", "1"); code != ExitOK || !strings.Contains(stdout, "median") {
			t.Errorf("bench --model %s: exit %d, %s%s", model, code, stdout, stderr)
		}
	}
	code, _, stderr = runCLI(t, "explain", "--image", scene, "--layer", "x", "--out", out)
	if code != ExitUsage || !strings.Contains(stderr, "need --model") {
		t.Errorf("--layer without --model: exit %d, %s", code, stderr)
	}
}

// TestExplainSeveralLayersSmoothed: --layer repeats, --aug-smooth and
// --eigen-smooth are taken, and report.json records the layers, the
// smoothing and, for a method that weights channels, each layer's channel
// weights (those of the layer alone); the map is on the finest grid.
func TestExplainSeveralLayersSmoothed(t *testing.T) {
	input := filepath.Join(shared, "reference", "input.npy")
	model := filepath.Join(shared, "reference", "resnet18.onnx")
	layers := []string{"/layer4/layer4.0/relu_1/Relu_output_0", "/layer3/layer3.1/relu_1/Relu_output_0"}
	report := func(t *testing.T, extra ...string) (display.Report, string) {
		t.Helper()
		out := t.TempDir()
		args := append([]string{"explain", "--input", input, "--model", model, "--top", "2", "--out", out,
			"--layer", layers[0], "--layer", layers[1]}, extra...)
		code, stdout, stderr := runCLI(t, args...)
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(stdout, "combined (14x14 map)") {
			t.Errorf("stdout %q does not say the layers are combined", stdout)
		}
		rep := readReport(t, out)
		if !slices.Equal(rep.Layers, layers) || rep.Model.MapSize != [2]int{14, 14} || len(rep.Classes) != 2 {
			t.Errorf("report layers %q, map size %v, %d classes", rep.Layers, rep.Model.MapSize, len(rep.Classes))
		}
		b, err := os.ReadFile(filepath.Join(out, "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		return rep, string(b)
	}
	t.Run("layercam smoothed", func(t *testing.T) {
		rep, _ := report(t, "--method", "layercam", "--aug-smooth", "--eigen-smooth")
		if rep.Method != "layercam" || !slices.Equal(rep.Smoothing, []string{"aug", "eigen"}) {
			t.Errorf("report method %q, smoothing %q", rep.Method, rep.Smoothing)
		}
		for _, c := range rep.Classes {
			if c.ChannelWeights != nil {
				t.Errorf("class %d: LayerCAM has channel weights in the report", c.Index)
			}
			if c.MapMin < 0 || c.MapMax > 1 {
				t.Errorf("class %d: a map of several layers in [%g, %g], not within [0,1]", c.Index, c.MapMin, c.MapMax)
			}
		}
	})
	t.Run("gradcam weights", func(t *testing.T) {
		rep, raw := report(t, "--method", "gradcam")
		if !strings.Contains(raw, `"smoothing": []`) {
			t.Errorf("report.json does not say \"smoothing\": [] without smoothing")
		}
		m, err := inference.Load(model, inference.Options{})
		if err != nil {
			t.Fatal(err)
		}
		x, err := npy.ReadFile(input)
		if err != nil {
			t.Fatal(err)
		}
		for i, layer := range layers {
			e, err := cam.New(m, nil, layer)
			if err != nil {
				t.Fatal(err)
			}
			p, err := e.Forward(context.Background(), x, cam.GradCAM)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range rep.Classes {
				_, ws, err := p.MapAndWeights(c.Index)
				if err != nil {
					t.Fatal(err)
				}
				want := ws[0]
				if len(c.ChannelWeights) != 2 || !slices.Equal(c.ChannelWeights[i], want) {
					t.Errorf("class %d, layer %s: the report's channel weights are not the layer's (%d lists)", c.Index, layer, len(c.ChannelWeights))
				}
			}
		}
	})
}
