package cli

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"camscope/app/atomicfile"
	"camscope/app/cliflag"
	"camscope/app/display"
	"camscope/app/explain"
	"camscope/app/faithfulness"
	"camscope/app/photo"
	"camscope/app/render"
	"camscope/app/session"
	"camscope/assets"
	"camscope/inference"
	"camscope/inference/cam"
	"camscope/inference/npy"
	"camscope/inference/preprocess"
)

func init() {
	register(&command{
		name:    "explain",
		summary: "explain a photo (or a folder of photos): overlays, grid, raw maps and a JSON report",
		run:     explainCmd,
	})
}

// explainFlags are the explain command's options.
type explainFlags struct {
	image, input, model, labels, method, colormap, out string
	top                                                int
	opacity, boxThreshold                              float64
	shared, noReLU, box, contour                       bool
	augSmooth, eigenSmooth, headsMax, metrics          bool
	scoreChannels, occlusionWindow, occlusionStride    int
	scoreBaseline                                      bool
	classes, layers                                    cliflag.Strings
	pre                                                preFlags
}

// preFlags map onto preprocess.Options.
type preFlags struct {
	size, resize, rng, mean, std, layout string
	cropFraction                         cliflag.Float
	bgr, rgb                             bool
}

func explainCmd(env *Env, args []string) int {
	fs := newFlags(env, "explain", "--image PHOTO|FOLDER | --input x.npy  [--model FILE.onnx|FILE.tflite] [options]")
	var f explainFlags
	fs.StringVar(&f.image, "image", "", "photo to explain, or a folder: every image in it")
	fs.StringVar(&f.input, "input", "", "an already preprocessed input tensor (.npy) instead of a photo; maps stay at its resolution")
	fs.StringVar(&f.model, "model", "", "ONNX or TFLite model, or "+builtinMobileNet+" (the default: an ImageNet classifier) or "+builtinShapes+" (the shape classifier of the sample scenes)")
	fs.StringVar(&f.labels, "labels", "", "labels file, one per line (default: found next to the model)")
	fs.Var(&f.layers, "layer", "feature tensor to compute maps on (default: the discovered one: the map feeding global pooling, or a vision transformer's last attention input); repeat it to combine several layers' maps (each clipped at 0 and scaled to [0,1], resized to the finest grid, averaged)")
	fs.IntVar(&f.top, "top", explain.DefaultTopK, "number of most probable classes to explain (1-20; 0: only the --class classes)")
	fs.StringVar(&f.method, "method", "auto", methodUsage())
	fs.Var(&f.classes, "class", "also explain this class: an index or part of a label (repeatable)")
	fs.BoolVar(&f.metrics, "metrics", false, "measure each map's faithfulness (average drop, deletion and insertion in "+strconv.Itoa(faithfulness.DefaultSteps)+" steps; about 100 forward passes per class) into report.json")
	fs.BoolVar(&f.augSmooth, "aug-smooth", false, "average the maps of the input flipped or not, times 0.9, 1 and 1.1 (six runs; pytorch-grad-cam's aug_smooth)")
	fs.IntVar(&f.scoreChannels, "score-channels", 0, "Score-CAM: run only N channels, each other channel scored from the run channels whose masks are most like its own (the fast variant; 0: every channel)")
	fs.BoolVar(&f.scoreBaseline, "score-baseline", false, "Score-CAM: weigh channels by the class probability of the masked photo minus that of a blank input (the paper's variant) instead of the softmax of the logits")
	fs.IntVar(&f.occlusionWindow, "occlusion-window", 0, "Occlusion: side of the grey square in input pixels (0: a seventh of the input, 32 for 224)")
	fs.IntVar(&f.occlusionStride, "occlusion-stride", 0, "Occlusion: step between squares in input pixels (0: half the square)")
	fs.BoolVar(&f.eigenSmooth, "eigen-smooth", false, "first principal component of the weighted activations instead of their sum over channels (pytorch-grad-cam's eigen_smooth; not with eigencam or eigengradcam)")
	fs.BoolVar(&f.headsMax, "heads-max", false, "attention rollout: fuse each block's attention heads by their maximum instead of their mean")
	fs.StringVar(&f.colormap, "colormap", "jet", "colormap: "+strings.Join(render.Names(), ", "))
	fs.Float64Var(&f.opacity, "opacity", 0.5, "opacity of the map over the photo, 0 to 1")
	fs.StringVar(&f.out, "out", "camscope-out", "output folder")
	fs.BoolVar(&f.shared, "shared", false, "one scale for all maps (so classes compare) instead of one per map")
	fs.BoolVar(&f.noReLU, "no-relu", false, "keep negative map values instead of clipping them at 0 before scaling")
	fs.BoolVar(&f.box, "box", false, "draw the localisation box (CAM paper: largest region above the threshold)")
	fs.BoolVar(&f.contour, "contour", false, "outline the region above the threshold")
	fs.Float64Var(&f.boxThreshold, "box-threshold", display.DefaultBoxThreshold, "threshold for box and contour, as a fraction of the scaled map")
	fs.StringVar(&f.pre.size, "size", "", "model input size, WxH or N (default: from the model)")
	fs.StringVar(&f.pre.resize, "resize", "", "stretch or center-crop")
	fs.Var(&f.pre.cropFraction, "crop-fraction", "for center-crop and square-crop: the share of the shorter side kept, a `fraction` in (0, 1] (torchvision: 0.875)")
	fs.StringVar(&f.pre.rng, "range", "", "input value range: 0,1 | -1,1 | 0,255 | imagenet")
	fs.StringVar(&f.pre.mean, "mean", "", "per-channel mean of pixel/255, e.g. 0.485,0.456,0.406")
	fs.StringVar(&f.pre.std, "std", "", "per-channel std of pixel/255, e.g. 0.229,0.224,0.225")
	fs.BoolVar(&f.pre.bgr, "bgr", false, "feed channels as B,G,R")
	fs.BoolVar(&f.pre.rgb, "rgb", false, "feed channels as R,G,B (overrides a sidecar's bgr)")
	fs.StringVar(&f.pre.layout, "layout", "", "NCHW or NHWC")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if (f.image == "") == (f.input == "") {
		fmt.Fprintln(env.Stderr, "camscope explain: give exactly one of --image and --input")
		return ExitUsage
	}
	view, req, pre, err := f.settings()
	if err != nil {
		fmt.Fprintln(env.Stderr, "camscope explain:", err)
		return ExitUsage
	}
	if builtin(f.model) && (f.labels != "" || len(f.layers) > 0 || !reflect.DeepEqual(pre, preprocess.Options{})) {
		fmt.Fprintln(env.Stderr, "camscope explain: --labels, --layer and the preprocessing options need --model FILE: the built-in models bring their own")
		return ExitUsage
	}
	model, err := loadExplainModel(f, pre)
	if err != nil {
		fmt.Fprintln(env.Stderr, "camscope explain:", err)
		return ExitFailed
	}
	if req.Method == "auto" {
		req.Method = cam.CAM
		if ok, _ := model.Explainer.SupportsCAM(); !ok {
			req.Method = cam.GradCAM
		}
	}
	for _, q := range f.classes {
		ks, err := cam.FindClasses(model.Labels, model.NumClasses(), q)
		if err != nil {
			fmt.Fprintln(env.Stderr, "camscope explain: --class:", err)
			return ExitUsage
		}
		req.Classes = append(req.Classes, ks[0])
	}
	if err := req.Validate(model.NumClasses()); err != nil {
		fmt.Fprintln(env.Stderr, "camscope explain:", err)
		return ExitUsage
	}
	// A stopped run removes its temporary folders: Save and the folder loop
	// return when ctx is done, and WriteDir then cleans up.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if f.input != "" {
		return explainTensor(ctx, env, model, f, req, view)
	}
	st, err := os.Stat(f.image)
	if err != nil {
		fmt.Fprintf(env.Stderr, "camscope explain: cannot open %s: %v\n", f.image, err)
		return ExitFailed
	}
	if !st.IsDir() {
		res, err := explainFile(ctx, model, f.image, req)
		if err == nil && f.metrics {
			err = measure(ctx, res)
		}
		if err == nil {
			_, err = display.Save(ctx, f.out, res, view, f.image)
		}
		if err != nil {
			fmt.Fprintln(env.Stderr, "camscope explain:", err)
			return ExitFailed
		}
		printResult(env, res, f.out)
		return ExitOK
	}
	return explainFolder(ctx, env, model, f, req, view)
}

// methodUsage lists the methods for --method's help.
func methodUsage() string {
	var names []string
	for _, m := range cam.Methods() {
		names = append(names, string(m))
	}
	return strings.Join(names, ", ") + ", or auto (CAM where the model allows it, else Grad-CAM)"
}

func (f *explainFlags) settings() (display.View, explain.Request, preprocess.Options, error) {
	view := display.DefaultView()
	var pre preprocess.Options
	cm, err := render.LookupColormap(f.colormap)
	if err != nil {
		return view, explain.Request{}, pre, err
	}
	if !(f.opacity >= 0 && f.opacity <= 1) {
		return view, explain.Request{}, pre, fmt.Errorf("--opacity must be between 0 and 1, not %v", f.opacity)
	}
	if !(f.boxThreshold > 0 && f.boxThreshold < 1) {
		return view, explain.Request{}, pre, fmt.Errorf("--box-threshold must be between 0 and 1, not %v", f.boxThreshold)
	}
	view.Colormap, view.Opacity, view.ReLU = cm, f.opacity, !f.noReLU
	if f.shared {
		view.Scale = display.PerResult
	}
	view.Box, view.Contour, view.BoxThreshold = f.box, f.contour, f.boxThreshold
	req := explain.Request{Method: cam.Method(strings.ToLower(f.method)), TopK: f.top, AugSmooth: f.augSmooth, EigenSmooth: f.eigenSmooth,
		ScoreChannels: f.scoreChannels, ScoreBaseline: f.scoreBaseline, OcclusionWindow: f.occlusionWindow, OcclusionStride: f.occlusionStride, HeadsMax: f.headsMax}
	if req.Method != "auto" {
		if req.Method, err = cam.ParseMethod(f.method); err != nil {
			return view, req, pre, err
		}
		if err := (cam.Options{EigenSmooth: f.eigenSmooth, AugSmooth: f.augSmooth, HeadsMax: f.headsMax}).Check(req.Method); err != nil {
			return view, req, pre, fmt.Errorf("smoothing: %w", err)
		}
	}
	if f.scoreChannels < 0 {
		return view, req, pre, fmt.Errorf("--score-channels must be 0 (every channel) or more, not %d", f.scoreChannels)
	}
	if (f.scoreChannels > 0 || f.scoreBaseline) && req.Method != cam.ScoreCAM {
		return view, req, pre, fmt.Errorf("--score-channels and --score-baseline are Score-CAM's: give --method scorecam")
	}
	if f.occlusionWindow < 0 || f.occlusionStride < 0 {
		return view, req, pre, fmt.Errorf("--occlusion-window and --occlusion-stride must be 0 (the default) or more")
	}
	if (f.occlusionWindow > 0 || f.occlusionStride > 0) && req.Method != cam.Occlusion {
		return view, req, pre, fmt.Errorf("--occlusion-window and --occlusion-stride are Occlusion's: give --method occlusion")
	}
	for i, l := range f.layers {
		if l == "" {
			return view, req, pre, fmt.Errorf("--layer needs a tensor name (list them with 'camscope run --model FILE --list')")
		}
		if slices.Contains(f.layers[:i], l) {
			return view, req, pre, fmt.Errorf("--layer %q is given twice", l)
		}
	}
	if f.top < 0 || f.top > explain.MaxTopK {
		return view, req, pre, fmt.Errorf("--top must be between 1 and %d (or 0 with --class), not %d", explain.MaxTopK, f.top)
	}
	if f.top == 0 && len(f.classes) == 0 {
		return view, req, pre, fmt.Errorf("--top 0 explains only the --class classes; give --class, or --top from 1 to %d", explain.MaxTopK)
	}
	if pre, err = f.pre.options(); err != nil {
		return view, req, pre, err
	}
	return view, req, pre, nil
}

func (p preFlags) options() (preprocess.Options, error) {
	var o preprocess.Options
	if p.size != "" {
		w, h, err := parseSize(p.size)
		if err != nil {
			return o, err
		}
		o.Width, o.Height = w, h
	}
	o.Resize = preprocess.ResizeMode(p.resize)
	switch o.Resize {
	case "", preprocess.Stretch, preprocess.CenterCrop, preprocess.SquareCrop:
	default:
		return o, fmt.Errorf("--resize %q: use %s, %s or %s", p.resize, preprocess.Stretch, preprocess.CenterCrop, preprocess.SquareCrop)
	}
	if c := p.cropFraction; c.Given {
		if !(c.Value > 0 && c.Value <= 1) {
			return o, fmt.Errorf("--crop-fraction %v: give a fraction in (0, 1], e.g. 0.875", c.Value)
		}
		o.CropFraction = c.Value
	}
	o.Range = p.rng
	if p.rng != "" {
		if _, _, err := preprocess.ParseRange(p.rng); err != nil {
			return o, fmt.Errorf("--range %q: use 0,1 | -1,1 | 0,255 | imagenet", p.rng)
		}
	}
	o.Layout = preprocess.Layout(strings.ToUpper(p.layout))
	switch o.Layout {
	case "", preprocess.NCHW, preprocess.NHWC:
	default:
		return o, fmt.Errorf("--layout %q: use NCHW or NHWC", p.layout)
	}
	var err error
	if o.Mean, err = parseFloats("--mean", p.mean); err != nil {
		return o, err
	}
	if o.Std, err = parseFloats("--std", p.std); err != nil {
		return o, err
	}
	for _, v := range o.Std {
		if v == 0 {
			return o, fmt.Errorf("--std %q: every channel's std must be non-zero", p.std)
		}
	}
	switch {
	case p.bgr && p.rgb:
		return o, fmt.Errorf("--bgr and --rgb contradict each other")
	case p.bgr || p.rgb:
		b := p.bgr
		o.BGR = &b
	}
	return o, nil
}

func parseSize(s string) (w, h int, err error) {
	a, b, found := strings.Cut(strings.ToLower(s), "x")
	w, err1 := strconv.Atoi(a)
	h, err2 := w, error(nil)
	if found {
		h, err2 = strconv.Atoi(b)
	}
	if err1 != nil || err2 != nil || w <= 0 || h <= 0 {
		return 0, 0, fmt.Errorf("--size %q: give WxH or N, e.g. 224x224", s)
	}
	probe := preprocess.Spec{Width: w, Height: h, Resize: preprocess.Stretch, Std: [3]float64{1, 1, 1}, Layout: preprocess.NCHW}
	if err := probe.Validate(); err != nil {
		return 0, 0, fmt.Errorf("--size %q: %w", s, err)
	}
	return w, h, nil
}

func parseFloats(flag, s string) ([]float64, error) {
	if s == "" {
		return nil, nil
	}
	var out []float64
	for _, part := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%s %q: give 1 or 3 numbers separated by commas", flag, s)
		}
		out = append(out, v)
	}
	if len(out) != 1 && len(out) != 3 {
		return nil, fmt.Errorf("%s %q: give 1 or 3 numbers separated by commas", flag, s)
	}
	return out, nil
}

// The built-in models' names for --model.
const (
	builtinMobileNet = session.ImageNetPath
	builtinShapes    = session.ShapesPath
)

// loadEngine loads --model for run and bench: a file, or a built-in
// model by name.
func loadEngine(model string, opt inference.Options) (*inference.Model, error) {
	switch model {
	case builtinMobileNet:
		return inference.LoadBytes(model, assets.MobileNetV2, opt)
	case builtinShapes:
		return inference.LoadBytes(model, assets.ShapesModel, opt)
	}
	return inference.Load(model, opt)
}

// builtin reports whether --model names a built-in model (or none: the
// default).
func builtin(model string) bool {
	return model == "" || model == builtinMobileNet || model == builtinShapes
}

func loadExplainModel(f explainFlags, pre preprocess.Options) (*explain.Model, error) {
	switch f.model {
	case "", builtinMobileNet:
		return session.ImageNetModel("", preprocess.Options{})
	case builtinShapes:
		return session.DefaultModel()
	}
	return explain.LoadModel(context.Background(), f.model, explain.ModelOptions{Labels: f.labels, Layers: f.layers, Preprocess: pre})
}

func explainFile(ctx context.Context, model *explain.Model, path string, req explain.Request) (*explain.Result, error) {
	p, err := photo.Load(path)
	if err != nil {
		return nil, err
	}
	return explain.Photo(ctx, model, p.Image, req)
}

// measure adds the faithfulness scores of each class's map to res (as
// many forward passes at once as there are cores).
func measure(ctx context.Context, res *explain.Result) error {
	m := res.Model
	score := faithfulness.Runs(m.Engine, m.Explainer.Head.Logits, runtime.GOMAXPROCS(0))
	return res.Measure(ctx, score, faithfulness.Options{})
}

func explainTensor(ctx context.Context, env *Env, model *explain.Model, f explainFlags, req explain.Request, view display.View) int {
	x, err := npy.ReadFile(f.input)
	if err == nil {
		var res *explain.Result
		if res, err = explain.Tensor(ctx, model, x, req); err == nil && f.metrics {
			err = measure(ctx, res)
		}
		if err == nil {
			if _, err = display.Save(ctx, f.out, res, view, f.input); err == nil {
				printResult(env, res, f.out)
				return ExitOK
			}
		}
	}
	fmt.Fprintln(env.Stderr, "camscope explain:", err)
	return ExitFailed
}

// imageExts are the file types explain picks up in a folder.
var imageExts = map[string]bool{".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".bmp": true, ".tif": true, ".tiff": true, ".webp": true}

// explainFolder explains every photo of the folder f.image, each into its
// own folder of f.out (named by outputNames). The new f.out replaces the
// previous one as a whole, once, when at least one photo was explained and
// the run was not stopped; otherwise f.out is left as it was.
func explainFolder(ctx context.Context, env *Env, model *explain.Model, f explainFlags, req explain.Request, view display.View) int {
	entries, err := os.ReadDir(f.image)
	if err != nil {
		fmt.Fprintf(env.Stderr, "camscope explain: cannot read the folder %s: %v\n", f.image, err)
		return ExitFailed
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && imageExts[strings.ToLower(filepath.Ext(e.Name()))] {
			files = append(files, e.Name())
		}
	}
	sort.Strings(files)
	if len(files) == 0 {
		fmt.Fprintf(env.Stderr, "camscope explain: %s has no image files (PNG, JPEG, GIF, BMP, TIFF, WebP)\n", f.image)
		return ExitFailed
	}
	if err := display.CheckOutput(f.out); err != nil {
		fmt.Fprintln(env.Stderr, "camscope explain:", err)
		return ExitFailed
	}
	outs := outputNames(files)
	bar := progressBar(env, len(files), "explaining")
	failed := map[string]error{}
	var rows [][]string
	err = atomicfile.WriteDir(ctx, f.out, func(tmp string) error {
		for i, name := range files {
			if err := ctx.Err(); err != nil {
				return err
			}
			path := filepath.Join(f.image, name)
			res, err := explainFile(ctx, model, path, req)
			if err == nil && f.metrics {
				err = measure(ctx, res)
			}
			var rep display.Report
			if err == nil {
				rep, err = display.Save(ctx, filepath.Join(tmp, outs[i]), res, view, path)
			}
			bar.clear()
			if err != nil {
				failed[name] = err
				fmt.Fprintf(env.Stdout, "%s: failed\n", name)
				rows = append(rows, []string{name, outs[i], "", "", "", "", "", "", "", "", err.Error()})
			} else {
				fmt.Fprintf(env.Stdout, "%s: %s\n", name, display.Title(res.Classes[0]))
				rows = append(rows, summaryRows(name, outs[i], rep)...)
			}
			bar.add()
		}
		if len(failed) == len(files) {
			return fmt.Errorf("no photo could be explained; %s is left as it was", f.out)
		}
		return writeSummary(filepath.Join(tmp, display.SummaryFile), rows)
	})
	bar.finish()
	if err == nil {
		fmt.Fprintf(env.Stdout, "%d of %d photos explained into %s (each photo's classes in %s)\n",
			len(files)-len(failed), len(files), f.out, display.SummaryFile)
	}
	if len(failed) > 0 {
		fmt.Fprintf(env.Stderr, "%d failed:\n", len(failed))
		for _, name := range files {
			if err := failed[name]; err != nil {
				fmt.Fprintf(env.Stderr, "  %s: %v\n", name, err)
			}
		}
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "camscope explain:", err)
		return ExitFailed
	}
	if len(failed) > 0 {
		return ExitFailed
	}
	return ExitOK
}

// summaryHeader names the columns of a folder run's summary.csv: one row
// per explained class, and one row with the error for a photo that failed.
var summaryHeader = []string{"photo", "folder", "rank", "index", "class", "probability", "box_x0", "box_y0", "box_x1", "box_y1", "error"}

// summaryRows are one photo's rows of summary.csv, from its report.
func summaryRows(photo, folder string, rep display.Report) [][]string {
	var rows [][]string
	for _, c := range rep.Classes {
		row := []string{photo, folder, strconv.Itoa(c.Rank), strconv.Itoa(c.Index), c.Label, strconv.FormatFloat(c.Prob, 'f', 6, 64)}
		box := []string{"", "", "", ""}
		for i, v := range c.Box {
			box[i] = strconv.Itoa(v)
		}
		rows = append(rows, append(append(row, box...), ""))
	}
	return rows
}

func writeSummary(path string, rows [][]string) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write(summaryHeader); err != nil {
			return err
		}
		if err := cw.WriteAll(rows); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		return nil
	})
}

// bar is a folder run's progress bar on a terminal, and nothing when
// stderr is a file or a pipe (where its carriage returns would be noise;
// the per-photo lines on stdout say the progress there).
type bar struct{ pb *progressbar.ProgressBar }

func progressBar(env *Env, n int, what string) bar {
	f, ok := env.Stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return bar{}
	}
	return bar{progressbar.NewOptions(n, progressbar.OptionSetWriter(env.Stderr),
		progressbar.OptionSetDescription(what), progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())}
}

func (b bar) add() {
	if b.pb != nil {
		_ = b.pb.Add(1)
	}
}

// clear removes the bar from the terminal line before a line is printed.
func (b bar) clear() {
	if b.pb != nil {
		_ = b.pb.Clear()
	}
}

func (b bar) finish() {
	if b.pb != nil {
		_ = b.pb.Finish()
	}
}

// outputNames names each photo's output folder: the file name without its
// extension, with path separators, control characters and characters
// Windows forbids turned into '_' and leading and trailing dots and spaces
// dropped ("photo" if nothing is left). Photos whose names would clash
// (compared ignoring case) keep their extension instead ("a_jpg", "a_png"),
// and a name still taken gets "_2", "_3", ...
func outputNames(files []string) []string {
	stems := make([]string, len(files))
	count := map[string]int{}
	for i, name := range files {
		stems[i] = safeName(strings.TrimSuffix(name, filepath.Ext(name)))
		count[strings.ToLower(stems[i])]++
	}
	used := map[string]bool{}
	out := make([]string, len(files))
	for i, name := range files {
		n := stems[i]
		if count[strings.ToLower(n)] > 1 {
			n = safeName(n + "_" + strings.TrimPrefix(filepath.Ext(name), "."))
		}
		for k, base := 2, n; used[strings.ToLower(n)]; k++ {
			n = fmt.Sprintf("%s_%d", base, k)
		}
		used[strings.ToLower(n)] = true
		out[i] = n
	}
	return out
}

// safeName makes s usable as one folder name on every system.
func safeName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 32 || r == 127 || strings.ContainsRune(`/\<>:"|?*`, r) {
			return '_'
		}
		return r
	}, s)
	s = strings.Trim(s, ". ")
	if s == "" {
		s = "photo"
	}
	return s
}

func printResult(env *Env, res *explain.Result, out string) {
	how := string(res.Request.Method)
	if smoothing := (cam.Options{AugSmooth: res.Request.AugSmooth, EigenSmooth: res.Request.EigenSmooth}).Smoothing(); len(smoothing) > 0 {
		how += " (" + strings.Join(smoothing, " and ") + " smoothing)"
	}
	layers := "layer " + res.Model.Layer()
	if ls := res.Model.Layers(); len(ls) > 1 {
		layers = "layers " + strings.Join(ls, ", ") + " combined"
	}
	if res.Request.Method == cam.Rollout {
		layers = fmt.Sprintf("the attention of %d blocks", len(res.Model.Explainer.Head.Attention))
	}
	fmt.Fprintf(env.Stdout, "%s, %s on %s (%dx%d map):\n", res.Model.Name, how, layers,
		res.Classes[0].Map.W, res.Classes[0].Map.H)
	for _, c := range res.Classes {
		fmt.Fprintf(env.Stdout, "  %-44s index %d\n", display.Title(c), c.Index)
	}
	fmt.Fprintf(env.Stdout, "wrote %s (grid.png, report.json, one overlay and raw map per class)\n", out)
}
