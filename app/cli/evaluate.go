package cli

import (
	"context"
	"fmt"
	"hash/fnv"
	"image"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"camscope/app/atomicfile"
	"camscope/app/cliflag"
	"camscope/app/explain"
	"camscope/app/faithfulness"
	"camscope/app/photo"
	"camscope/app/session"
	"camscope/inference"
	"camscope/inference/cam"
	"camscope/inference/preprocess"
	"camscope/inference/tensor"
)

func init() {
	register(&command{
		name:    "evaluate",
		summary: "measure how faithful each method's maps are over a folder of photos (average drop, deletion, insertion, ROAD)",
		run:     evaluateCmd,
	})
}

// evalFlags are the evaluate command's options.
type evalFlags struct {
	images, model, labels, methods, metrics, out, shard, truth, boxes string
	steps                                                             int
	merge                                                             cliflag.Strings
}

// defaultEvalMethods are the methods evaluate compares unless told.
const defaultEvalMethods = "cam,gradcam,gradcam++,layercam"

func evaluateCmd(env *Env, args []string) int {
	fs := newFlags(env, "evaluate", "--images FOLDER [--model FILE] [options]  |  --merge FOLDER --merge FOLDER ... [--out FOLDER]")
	var f evalFlags
	fs.StringVar(&f.images, "images", "", "folder of photos to evaluate on")
	fs.StringVar(&f.model, "model", "", "ONNX or TFLite model, or "+builtinMobileNet+" (the default) or "+builtinShapes)
	fs.StringVar(&f.labels, "labels", "", "labels file, one per line (default: found next to the model)")
	fs.StringVar(&f.methods, "methods", defaultEvalMethods, "comma-separated CAM methods to compare (CAM is left out by itself where the model has no CAM head)")
	fs.StringVar(&f.metrics, "metrics", "drop,deletion,insertion", "comma-separated metrics: drop (average drop and increase in confidence), deletion, insertion, road (slow: 18 imputations per map), sanity (the map's rank correlation with the maps of the model with its last 1, 2, 3 layers re-initialised); or all")
	fs.IntVar(&f.steps, "steps", faithfulness.DefaultSteps, "steps of the deletion and insertion curves (one forward pass each)")
	fs.StringVar(&f.truth, "truth", "", "target classes: a CSV of file,class (index or label), or none for each photo's top-1 class (default: the folder's classes.tsv, else ImageNet synset file names such as n01440764_tench.JPEG, else the top-1)")
	fs.StringVar(&f.boxes, "boxes", "", "a CSV of file,x0,y0,x1,y1: each photo's object box in photo pixels (x1, y1 exclusive); adds localisation (IoU of the CAM paper's box) and the pointing game")
	fs.StringVar(&f.shard, "shard", "", "I/N: evaluate only every N-th photo (sorted by name) from the I-th, counting from 0, to spread a folder over machines")
	fs.Var(&f.merge, "merge", "an output folder of evaluate --shard to combine with the others (repeat for each); writes the table and curves of all of them")
	fs.StringVar(&f.out, "out", "camscope-eval", "output folder (replaced as a whole)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if err := evalCheckOutput(f.out); err != nil {
		fmt.Fprintln(env.Stderr, "camscope evaluate:", err)
		return ExitFailed
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(f.merge) > 0 {
		return evaluateMerge(ctx, env, f, args)
	}
	if f.images == "" {
		fmt.Fprintln(env.Stderr, "camscope evaluate: give --images FOLDER (or --merge with evaluate's output folders)")
		return ExitUsage
	}
	run, metrics, methods, sh, err := f.settings()
	if err != nil {
		fmt.Fprintln(env.Stderr, "camscope evaluate:", err)
		return ExitUsage
	}
	if builtin(f.model) && f.labels != "" {
		fmt.Fprintln(env.Stderr, "camscope evaluate: --labels needs --model FILE: the built-in models bring their own")
		return ExitUsage
	}
	model, err := loadExplainModel(explainFlags{model: f.model, labels: f.labels}, preprocess.Options{})
	if err != nil {
		fmt.Fprintln(env.Stderr, "camscope evaluate:", err)
		return ExitFailed
	}
	if ok, why := model.Explainer.SupportsCAM(); !ok && slices.Contains(methods, cam.CAM) {
		if f.methods != defaultEvalMethods {
			fmt.Fprintf(env.Stderr, "camscope evaluate: CAM does not apply to %s (%s); leave it out of --methods\n", model.Name, why)
			return ExitUsage
		}
		methods = slices.DeleteFunc(methods, func(m cam.Method) bool { return m == cam.CAM })
	}
	files, err := photoFiles(f.images)
	if err != nil {
		fmt.Fprintln(env.Stderr, "camscope evaluate:", err)
		return ExitFailed
	}
	all := len(files)
	files = sh.pick(files)
	if len(files) == 0 {
		fmt.Fprintf(env.Stderr, "camscope evaluate: shard %s of %d photos holds none; use fewer shards\n", f.shard, all)
		return ExitUsage
	}
	tr, err := findTruth(f.images, files, f.truth, model.Labels, model.NumClasses())
	if err != nil {
		fmt.Fprintln(env.Stderr, "camscope evaluate:", err)
		return ExitFailed
	}
	var boxes map[string]image.Rectangle
	if f.boxes != "" {
		if boxes, err = readBoxes(f.boxes); err != nil {
			fmt.Fprintln(env.Stderr, "camscope evaluate:", err)
			return ExitFailed
		}
	}
	run.Model, run.Shard = model.Name, f.shard
	run.Input = fmt.Sprintf("%dx%d", model.Spec.Width, model.Spec.Height)
	run.Target = "the top-1 class (no ground truth)"
	if tr.source != "" {
		run.Target = "ground truth from " + tr.source
	}
	for _, m := range methods {
		run.Methods = append(run.Methods, session.MethodName(m))
	}
	ev := &evaluator{model: model, methods: methods, metrics: metrics, steps: f.steps, truth: tr, boxes: boxes, run: run}
	ev.score = faithfulness.Runs(model.Engine, model.Explainer.Head.Logits, runtime.GOMAXPROCS(0))
	bar := progressBar(env, len(files), "evaluating")
	start := time.Now()
	err = atomicfile.WriteDir(ctx, f.out, func(tmp string) error {
		for _, name := range files {
			if err := ctx.Err(); err != nil {
				return err
			}
			ev.photo(ctx, filepath.Join(f.images, name), name)
			bar.add()
		}
		run.Photos = len(files)
		run.Seconds = time.Since(start).Seconds()
		if run.Failed == run.Photos {
			return fmt.Errorf("no photo could be evaluated; %s is left as it was", f.out)
		}
		run.summarise()
		return run.write(tmp)
	})
	bar.finish()
	return ev.report(env, f.out, err)
}

// settings checks the options that need no model.
func (f evalFlags) settings() (*evalRun, []faithfulness.Metric, []cam.Method, shard, error) {
	run := &evalRun{Steps: f.steps}
	if f.steps < 1 || f.steps > faithfulness.MaxSteps {
		return nil, nil, nil, shard{}, fmt.Errorf("--steps must be between 1 and %d, not %d", faithfulness.MaxSteps, f.steps)
	}
	metrics, err := faithfulness.ParseMetrics(f.metrics)
	if err != nil {
		return nil, nil, nil, shard{}, fmt.Errorf("--metrics: %w", err)
	}
	for _, m := range metrics {
		run.Metrics = append(run.Metrics, string(m))
	}
	var methods []cam.Method
	for _, s := range strings.Split(f.methods, ",") {
		m, err := cam.ParseMethod(strings.TrimSpace(s))
		if err != nil {
			return nil, nil, nil, shard{}, fmt.Errorf("--methods: %w", err)
		}
		if slices.Contains(methods, m) {
			return nil, nil, nil, shard{}, fmt.Errorf("--methods lists %s twice", m)
		}
		methods = append(methods, m)
	}
	sh, err := parseShard(f.shard)
	return run, metrics, methods, sh, err
}

// shard is --shard I/N; the zero value takes every photo.
type shard struct{ i, n int }

func parseShard(s string) (shard, error) {
	if s == "" {
		return shard{0, 1}, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return shard{}, fmt.Errorf("--shard %q: give I/N with 0 <= I < N, e.g. 0/4 for the first of four", s)
	}
	return shard{i, n}, nil
}

// pick takes every n-th file from the i-th.
func (s shard) pick(files []string) []string {
	var out []string
	for j := s.i; j < len(files); j += s.n {
		out = append(out, files[j])
	}
	return out
}

// photoFiles lists the image files of dir, sorted by name.
func photoFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot read the folder %s: %v", dir, err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && imageExts[strings.ToLower(filepath.Ext(e.Name()))] {
			files = append(files, e.Name())
		}
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("%s has no image files (PNG, JPEG, GIF, BMP, TIFF, WebP)", dir)
	}
	return files, nil
}

// evaluator runs the methods and metrics on one photo after another.
type evaluator struct {
	model   *explain.Model
	methods []cam.Method
	metrics []faithfulness.Metric
	steps   int
	truth   truth
	boxes   map[string]image.Rectangle // in photo pixels; nil: no localisation
	score   faithfulness.Scorer
	run     *evalRun
	failed  []string
}

// photo evaluates every method on one photo, adding its rows to the run
// (a row with the error when it fails).
func (ev *evaluator) photo(ctx context.Context, path, name string) {
	fail := func(err error) {
		ev.run.Failed++
		ev.failed = append(ev.failed, fmt.Sprintf("%s: %v", name, err))
		for _, m := range ev.run.Methods {
			ev.run.perPhoto = append(ev.run.perPhoto, evalRow{Photo: name, Method: m, Err: err.Error()})
		}
	}
	k, err := ev.truth.target(name)
	if err != nil {
		fail(err)
		return
	}
	img, err := photo.Load(path)
	if err != nil {
		fail(err)
		return
	}
	x, geo, err := preprocess.Prepare(img.Image, ev.model.Spec)
	if err != nil {
		fail(err)
		return
	}
	w, h := ev.model.InputSize()
	opt := faithfulness.Options{Metrics: ev.metrics, Steps: ev.steps, Model: ev.model.Engine}
	if ev.boxes != nil {
		b, ok := ev.boxes[name]
		if !ok {
			fail(fmt.Errorf("--boxes gives no box for it"))
			return
		}
		// The box on the model's input, through the preprocessing.
		x0, y0 := geo.PhotoToTensor(float64(b.Min.X), float64(b.Min.Y))
		x1, y1 := geo.PhotoToTensor(float64(b.Max.X), float64(b.Max.Y))
		in := image.Rect(int(math.Floor(x0)), int(math.Floor(y0)), int(math.Ceil(x1)), int(math.Ceil(y1))).Intersect(image.Rect(0, 0, w, h))
		if in.Empty() {
			fail(fmt.Errorf("its box %v lies outside the part of the photo the model sees", b))
			return
		}
		opt.Box = &in
	}
	h64 := fnv.New64a()
	h64.Write([]byte(name))
	opt.Seed = h64.Sum64()
	var p *faithfulness.Photo
	var rows []evalRow
	for i, m := range ev.methods {
		t0 := time.Now()
		pass, err := ev.model.Explainer.Forward(ctx, x, m)
		if err != nil {
			fail(err)
			return
		}
		if p == nil {
			if k < 0 {
				k = pass.Top(1)[0].Index
			}
			if p, err = faithfulness.NewPhoto(ctx, ev.score, x, ev.model.Spec.Layout == preprocess.NHWC, k); err != nil {
				fail(err)
				return
			}
		}
		raw, err := pass.Map(k)
		var s faithfulness.Saliency
		if err == nil {
			s, err = faithfulness.Place(raw, w, h)
		}
		var sc faithfulness.Scores
		if err == nil {
			opt.MapOf = ev.mapOf(x, m, k)
			sc, err = p.Evaluate(ctx, s, opt)
		}
		if err != nil {
			fail(fmt.Errorf("%s: %w", ev.run.Methods[i], err))
			return
		}
		rows = append(rows, evalRow{Photo: name, Method: ev.run.Methods[i], Class: k, Label: ev.model.Explainer.Label(k), Prob: p.Prob,
			Scores: sc, MS: float64(time.Since(t0).Microseconds()) / 1000})
	}
	ev.run.perPhoto = append(ev.run.perPhoto, rows...)
	ev.run.Passes += p.Passes()
	if ev.run.Fractions == nil {
		for _, r := range rows {
			if r.Scores.Deletion != nil {
				ev.run.Fractions = r.Scores.Deletion.Fractions
			} else if r.Scores.Insertion != nil {
				ev.run.Fractions = r.Scores.Insertion.Fractions
			}
		}
	}
}

// mapOf is the sanity check's map: the method's map of class k for x,
// computed with another model (one with layers re-initialised) at the
// same layers.
func (ev *evaluator) mapOf(x *tensor.Tensor, method cam.Method, k int) faithfulness.MapFunc {
	return func(ctx context.Context, m *inference.Model) (faithfulness.Saliency, error) {
		e, err := cam.NewLayers(m, nil, ev.model.Layers())
		if err != nil {
			return faithfulness.Saliency{}, err
		}
		pass, err := e.Forward(ctx, x, method)
		if err != nil {
			return faithfulness.Saliency{}, err
		}
		raw, err := pass.Map(k)
		if err != nil {
			return faithfulness.Saliency{}, err
		}
		w, h := ev.model.InputSize()
		return faithfulness.Place(raw, w, h)
	}
}

// readBoxes reads --boxes: file,x0,y0,x1,y1 rows, a header row allowed.
func readBoxes(path string) (map[string]image.Rectangle, error) {
	rows, err := readTable(path, ',')
	if err != nil {
		return nil, err
	}
	boxes := map[string]image.Rectangle{}
	for i, r := range rows {
		if i == 0 && strings.EqualFold(r[0], "file") {
			continue
		}
		var v [4]int
		ok := len(r) == 5
		for j := 0; ok && j < 4; j++ {
			v[j], err = strconv.Atoi(strings.TrimSpace(r[j+1]))
			ok = err == nil
		}
		if !ok || v[2] <= v[0] || v[3] <= v[1] {
			return nil, fmt.Errorf("%s line %d: want file,x0,y0,x1,y1 with whole pixels, x0 < x1 and y0 < y1", path, i+1)
		}
		boxes[strings.TrimSpace(r[0])] = image.Rect(v[0], v[1], v[2], v[3])
	}
	return boxes, nil
}

// report prints the table and what failed, and gives the exit code.
func (ev *evaluator) report(env *Env, out string, err error) int {
	if err == nil {
		ev.run.print(env.Stdout)
		files := []string{evalTableCSV, evalTableJSON, evalPhotosCSV, evalCurvesCSV}
		if ev.run.Fractions != nil {
			files = append(files, evalCurvesPNG)
		}
		fmt.Fprintf(env.Stdout, "wrote %s (%s)\n", out, strings.Join(files, ", "))
	}
	if len(ev.failed) > 0 {
		fmt.Fprintf(env.Stderr, "%d photos failed:\n", len(ev.failed))
		for _, s := range ev.failed {
			fmt.Fprintln(env.Stderr, "  "+s)
		}
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "camscope evaluate:", err)
		return ExitFailed
	}
	if len(ev.failed) > 0 {
		return ExitFailed
	}
	return ExitOK
}

// evaluateMerge combines shard outputs into one table and plot.
func evaluateMerge(ctx context.Context, env *Env, f evalFlags, args []string) int {
	for _, a := range args {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && name != "merge" && name != "out" {
			fmt.Fprintf(env.Stderr, "camscope evaluate: --merge takes only --out besides; the settings come from the merged folders, not --%s\n", name)
			return ExitUsage
		}
	}
	run, err := mergeRuns(f.merge)
	if err == nil {
		err = atomicfile.WriteDir(ctx, f.out, run.write)
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "camscope evaluate:", err)
		return ExitFailed
	}
	run.print(env.Stdout)
	fmt.Fprintf(env.Stdout, "wrote %s\n", f.out)
	return ExitOK
}

// evalCheckOutput refuses an output folder that holds files evaluate did
// not write: the run replaces the whole folder.
func evalCheckOutput(dir string) error {
	ents, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot use the output folder %s: %w", dir, err)
	}
	ours := []string{evalTableCSV, evalTableJSON, evalPhotosCSV, evalCurvesCSV, evalCurvesPNG}
	for _, e := range ents {
		if !slices.Contains(ours, e.Name()) && !strings.HasPrefix(e.Name(), ".camscope-") {
			return fmt.Errorf("the output folder %s holds %s, which evaluate did not write; each run replaces the whole folder, so give a new or empty folder", dir, e.Name())
		}
	}
	return nil
}
