package preprocess

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The text in the shared models' metadata_props "preprocessing".
const sharedModelText = "RGB image resized to 160x160; x = (pixel - 127.5) / 127.5 (range [-1,1]); float32 NCHW [1,3,160,160]"

func TestParseMetadata(t *testing.T) {
	imagenetMean, imagenetStd := []float64{0.485, 0.456, 0.406}, []float64{0.229, 0.224, 0.225}
	cases := map[string]struct {
		text string
		want Options
	}{
		"shared models": {sharedModelText, Options{Width: 160, Height: 160, Resize: Stretch,
			Mean: []float64{0.5}, Std: []float64{0.5}, BGR: new(false), Layout: NCHW}},
		"torchvision": {"Resize shorter side to 256, center crop 224, mean [0.485, 0.456, 0.406] std [0.229, 0.224, 0.225], RGB",
			Options{Width: 224, Height: 224, Resize: CenterCrop, CropFraction: 224.0 / 256, Mean: imagenetMean, Std: imagenetStd, BGR: new(false)}},
		"crop fraction": {"center-crop 192x192 with crop_fraction 0.9; range [0,1]; NHWC",
			Options{Width: 192, Height: 192, Resize: CenterCrop, CropFraction: 0.9, Range: "0,1", Layout: NHWC}},
		"crop pct": {"center crop, crop_pct 87.5", Options{Resize: CenterCrop, CropFraction: 0.875}},
		"caffe": {"BGR, mean = (103.939, 116.779, 123.68) std = (1, 1, 1)",
			Options{Mean: []float64{103.939 / 255, 116.779 / 255, 123.68 / 255}, Std: []float64{1. / 255, 1. / 255, 1. / 255}, BGR: new(true)}},
		"range only":   {"pixels in range [0, 255]", Options{Range: "0,255"}},
		"square":       {"center square crop, resized to 224x224", Options{Width: 224, Height: 224, Resize: SquareCrop}},
		"nothing":      {"a lovely model", Options{}},
		"both orders":  {"RGB or BGR", Options{}},
		"resized text": {"image resized to 299x299 and scaled", Options{Width: 299, Height: 299, Resize: Stretch}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, notes := ParseMetadata(map[string]string{"Preprocessing": c.text, "license": "x 10x10"})
			if !sameOptions(got, c.want) {
				t.Errorf("got  %+v\nwant %+v\nnotes %v", got, c.want, notes)
			}
		})
	}
	if o, notes := ParseMetadata(nil); !reflect.DeepEqual(o, Options{}) || notes != nil {
		t.Errorf("nil metadata: %+v %v", o, notes)
	}
}

// sameOptions compares Options with a tolerance on the float values.
func sameOptions(a, b Options) bool {
	near := func(x, y []float64) bool {
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if math.Abs(x[i]-y[i]) > 1e-12 {
				return false
			}
		}
		return true
	}
	if !near(a.Mean, b.Mean) || !near(a.Std, b.Std) || !reflect.DeepEqual(a.BGR, b.BGR) {
		return false
	}
	a.Mean, a.Std, b.Mean, b.Std = nil, nil, nil, nil
	return reflect.DeepEqual(a, b)
}

func TestResolveDefaults(t *testing.T) {
	cases := map[string]struct {
		shape   []int
		classes int
		want    Spec
		size    Origin
	}{
		"tf-slim":           {[]int{1, 3, 192, 192}, 1001, TFSlim(192), FromInputShape},
		"torchvision":       {[]int{1, 3, 224, 224}, 1000, Torchvision(224), FromInputShape},
		"nhwc":              {[]int{1, 299, 299, 3}, 1000, func() Spec { s := Torchvision(299); s.Layout = NHWC; return s }(), FromInputShape},
		"dynamic":           {[]int{-1, 3, -1, -1}, 1000, Torchvision(224), FromDefault},
		"unknown shape":     {nil, 1001, TFSlim(224), FromDefault},
		"odd class count":   {[]int{1, 3, 64, 64}, 10, Torchvision(64), FromInputShape},
		"dynamic batch nhw": {[]int{0, 128, 128, 3}, 1001, func() Spec { s := TFSlim(128); s.Layout = NHWC; return s }(), FromInputShape},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, src, err := Resolve(c.shape, c.classes, nil, "", Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("got %v, want %v", got, c.want)
			}
			if src.Size != c.size || src.Mean != FromDefault {
				t.Errorf("source %+v", src)
			}
		})
	}
}

func TestResolveSharedModelMetadata(t *testing.T) {
	got, src, err := Resolve([]int{1, 3, 160, 160}, 1001, map[string]string{"preprocessing": sharedModelText}, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got != TFSlim(160) {
		t.Errorf("got %v", got)
	}
	want := Source{Size: FromMetadata, Resize: FromMetadata, Mean: FromMetadata, Std: FromMetadata,
		ChannelOrder: FromMetadata, Layout: FromMetadata, Convention: "tf-slim"}
	if !reflect.DeepEqual(src, want) {
		t.Errorf("source %+v\nwant   %+v", src, want)
	}
}

func writeFile(t *testing.T, path, text string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestResolveMetadataYieldsToShape(t *testing.T) {
	got, src, err := Resolve([]int{1, 224, 224, 3}, 1001, map[string]string{"preprocessing": sharedModelText}, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Width != 224 || got.Layout != NHWC || src.Size != FromInputShape || len(src.Notes) != 2 {
		t.Errorf("got %v, source %+v", got, src)
	}
}

func TestResolvePrecedence(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "net.onnx")
	writeFile(t, model, "")
	side := writeFile(t, model+".json", `{"preprocessing": {"resize": "center-crop", "crop_fraction": 0.9, "range": "0,255", "bgr": true}}`)
	if SidecarPath(model) != side {
		t.Fatalf("SidecarPath = %q", SidecarPath(model))
	}
	md := map[string]string{"preprocessing": sharedModelText}
	got, src, err := Resolve([]int{1, 3, 160, 160}, 1001, md, side, Options{Range: "imagenet", Std: []float64{0.25}})
	if err != nil {
		t.Fatal(err)
	}
	want := Spec{Width: 160, Height: 160, Resize: CenterCrop, CropFraction: 0.9,
		Mean: [3]float64{0.485, 0.456, 0.406}, Std: [3]float64{0.25, 0.25, 0.25}, BGR: true, Layout: NCHW}
	if got != want {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	wantSrc := Source{Size: FromMetadata, Resize: FromSidecar, CropFraction: FromSidecar, Mean: FromOptions, Std: FromOptions,
		ChannelOrder: FromSidecar, Layout: FromMetadata, Convention: "tf-slim", Sidecar: side}
	if !reflect.DeepEqual(src, wantSrc) {
		t.Errorf("source %+v\nwant   %+v", src, wantSrc)
	}
}

func TestResolveCropFractionDefaults(t *testing.T) {
	for mode, want := range map[ResizeMode]float64{SquareCrop: 1, CenterCrop: 0.875, Stretch: 0} {
		for _, classes := range []int{1000, 1001} {
			got, src, err := Resolve(nil, classes, nil, "", Options{Resize: mode})
			if err != nil {
				t.Fatal(err)
			}
			if got.CropFraction != want {
				t.Errorf("%s, %d classes: crop fraction %v, want %v", mode, classes, got.CropFraction, want)
			}
			if (src.CropFraction == "") != (mode == Stretch) {
				t.Errorf("%s: crop fraction source %q", mode, src.CropFraction)
			}
		}
	}
	got, _, _ := Resolve(nil, 1000, nil, "", Options{Resize: SquareCrop, CropFraction: 0.8})
	if got.CropFraction != 0.8 {
		t.Errorf("explicit fraction lost: %v", got.CropFraction)
	}
}

func TestResolveErrors(t *testing.T) {
	dir := t.TempDir()
	bad := func(name, text string) string { return writeFile(t, filepath.Join(dir, name), text) }
	cases := map[string]struct {
		shape   []int
		sidecar string
		opt     Options
		msg     string
	}{
		"size vs shape":     {[]int{1, 3, 224, 224}, "", Options{Width: 256, Height: 256}, "fixes 224x224"},
		"layout vs shape":   {[]int{1, 3, 224, 224}, "", Options{Layout: NHWC}, "is NCHW"},
		"bad layout":        {nil, "", Options{Layout: "CHW"}, "use NCHW or NHWC"},
		"half size":         {nil, "", Options{Width: 5}, "both width and height"},
		"std zero":          {nil, "", Options{Std: []float64{0}}, "non-zero"},
		"two means":         {nil, "", Options{Mean: []float64{1, 2}}, "1 or 3 values"},
		"bad range":         {nil, "", Options{Range: "0..9"}, "unknown value range"},
		"bad resize":        {nil, "", Options{Resize: "fit"}, "resize mode"},
		"rank 3":            {[]int{3, 224, 224}, "", Options{}, "not an image batch"},
		"grayscale":         {[]int{1, 1, 28, 28}, "", Options{}, "colour channels"},
		"sidecar missing":   {nil, filepath.Join(dir, "none.json"), Options{}, "no such file"},
		"sidecar not json":  {nil, bad("a.json", "size: 224"), Options{}, "not valid JSON"},
		"sidecar typo":      {nil, bad("b.json", `{"preprocessing": {"sise": 224}}`), Options{}, `unknown field "sise"`},
		"sidecar size+w":    {nil, bad("c.json", `{"preprocessing": {"size": 224, "width": 200}}`), Options{}, "either size"},
		"sidecar size list": {nil, bad("d.json", `{"preprocessing": {"size": [224, 224]}}`), Options{}, "cannot unmarshal"},
		"sidecar resize":    {nil, bad("e.json", `{"preprocessing": {"resize": "squash"}}`), Options{}, `resize "squash"`},
		"sidecar crop":      {nil, bad("f.json", `{"preprocessing": {"resize": "center-crop", "crop_fraction": 2}}`), Options{}, "crop fraction"},
		"sidecar two docs":  {nil, bad("g.json", `{} {}`), Options{}, "more than one"},
		"crop, stretch":     {nil, "", Options{Resize: Stretch, CropFraction: 0.9}, "resize mode stretch (from the command line) does not crop"},
		"crop, sidecar":     {nil, bad("h.json", `{"preprocessing": {"resize": "stretch"}}`), Options{CropFraction: 0.9}, "(from the sidecar file) does not crop"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := Resolve(c.shape, 1000, nil, c.sidecar, c.opt)
			if err == nil || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("err = %v, want it to mention %q", err, c.msg)
			}
		})
	}
}

func TestLabels(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "net.onnx")
	writeFile(t, model, "")
	lines := func(n int, first string) string {
		var b strings.Builder
		b.WriteString("\xef\xbb\xbf" + first + "\r\n")
		for i := 1; i < n; i++ {
			b.WriteString("  class " + strings.Repeat("x", i%3) + " \n")
		}
		return b.String() + "\n\n"
	}
	if p, _, err := FindLabels(model, "", ""); p != "" || err != nil {
		t.Errorf("no labels: %q %v", p, err)
	}
	generic := writeFile(t, filepath.Join(dir, "imagenet_labels.txt"), lines(1001, "background"))
	if p, o, _ := FindLabels(model, "", ""); p != generic || o != FromDefault {
		t.Errorf("found %q %q, want %q", p, o, generic)
	}
	own := writeFile(t, filepath.Join(dir, "net.labels.txt"), lines(1000, "tench"))
	if p, _, _ := FindLabels(model, "", ""); p != own {
		t.Errorf("found %q, want %q", p, own)
	}
	os.Mkdir(filepath.Join(dir, "l"), 0o755)
	named := writeFile(t, filepath.Join(dir, "l", "mine.txt"), lines(10, "a"))
	side := writeFile(t, model+".json", `{"labels": "l/mine.txt"}`)
	if p, o, _ := FindLabels(model, side, ""); p != named || o != FromSidecar {
		t.Errorf("found %q %q, want %q from the sidecar", p, o, named)
	}
	if p, o, _ := FindLabels(model, side, generic); p != generic || o != FromOptions {
		t.Errorf("override: found %q %q", p, o)
	}
	if _, _, err := FindLabels(model, "", filepath.Join(dir, "nope.txt")); err == nil {
		t.Error("a missing explicit labels file was accepted")
	}

	l, err := ReadLabels(generic, 1001)
	if err != nil || len(l) != 1001 || l[0] != "background" || l[1] != "class x" {
		t.Errorf("1001 labels: %d %q %v", len(l), l[:2], err)
	}
	if l, err := ReadLabels(own, 1001); err != nil || len(l) != 1001 || l[0] != "background" || l[1] != "tench" {
		t.Errorf("1000 labels for 1001 classes: %v", err)
	}
	if l, err := ReadLabels(generic, 1000); err != nil || len(l) != 1000 || l[0] != "class x" {
		t.Errorf("1001 labels for 1000 classes: %v", err)
	}
	if _, err := ReadLabels(named, 1000); !errors.Is(err, ErrLabels) || !strings.Contains(err.Error(), "has 10 labels but the model has 1000 classes") {
		t.Errorf("10 labels for 1000 classes: %v", err)
	}
	holes := writeFile(t, filepath.Join(dir, "holes.txt"), "a\n\nb\n")
	if _, err := ReadLabels(holes, 0); err == nil || !strings.Contains(err.Error(), "line 2 is empty") {
		t.Errorf("empty line: %v", err)
	}
	binary := writeFile(t, filepath.Join(dir, "bin.txt"), "ONNX\x00\x01")
	if _, err := ReadLabels(binary, 0); err == nil || !strings.Contains(err.Error(), "not a text file") {
		t.Errorf("binary: %v", err)
	}
	empty := writeFile(t, filepath.Join(dir, "empty.txt"), " \n")
	if _, err := ReadLabels(empty, 0); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty: %v", err)
	}
}

func TestSharedModelLabels(t *testing.T) {
	model := "../../../shared/models/mobilenet_v2_1.0_224.onnx"
	p, _, err := FindLabels(model, "", "")
	if err != nil || p == "" {
		t.Fatalf("labels of %s: found %q, %v; the shared models and their labels belong in ../shared/models, beside this checkout", model, p, err)
	}
	l, err := ReadLabels(p, 1001)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range map[int]string{0: "background", 20: "chickadee", 259: "Samoyed, Samoyede", 935: "hotdog, hot dog, red hot"} {
		if l[i] != want {
			t.Errorf("label %d = %q, want %q", i, l[i], want)
		}
	}
}

func FuzzParseMetadata(f *testing.F) {
	f.Add(sharedModelText)
	f.Add("Resize shorter side to 256, center crop 224, mean [0.485, 0.456, 0.406] std [0.229, 0.224, 0.225], RGB")
	f.Add("center-crop 192x192 with crop_fraction 0.9; range [0,1]; NHWC; BGR, mean = (103.939, 116.779, 123.68) std = (0, 0, 0)")
	f.Add("mean [1e999, 0, 0] std [1, 1, 1]; x = (pixel - 1" + strings.Repeat("9", 400) + ") / 2")
	f.Fuzz(func(t *testing.T, text string) {
		o, _ := ParseMetadata(map[string]string{"preprocessing": text})
		// Metadata is the least trusted source: whatever its text says, it
		// must not make Resolve fail; what is unusable is left out.
		s, _, err := Resolve(nil, 1000, map[string]string{"preprocessing": text}, "", Options{})
		if err != nil {
			t.Fatalf("metadata %+v made Resolve fail: %v", o, err)
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("Resolve returned an invalid spec %v: %v", s, err)
		}
	})
}
