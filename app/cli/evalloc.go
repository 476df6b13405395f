package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"camscope/app/shapes"
	"camscope/app/trainer"
	"camscope/assets"
	"camscope/inference"
	"camscope/inference/cam"
	"camscope/inference/tensor"
)

func init() {
	register(&command{
		name:    "eval-loc",
		summary: "measure the shape model's accuracy and CAM localisation on held-out scenes",
		run:     runEvalLoc,
	})
}

func runEvalLoc(env *Env, args []string) int {
	fs := newFlags(env, "eval-loc", "[--model FILE] [--n N]")
	model := fs.String("model", "", "ONNX file written by train-shapes (default: the built-in model)")
	n := fs.Int("n", 2000, "held-out scenes per row")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if *n < 1 {
		fmt.Fprintln(env.Stderr, "camscope eval-loc: --n must be at least 1.")
		return ExitUsage
	}
	data, name := assets.ShapesModel, "built-in shapes model"
	if *model != "" {
		var err error
		if data, err = os.ReadFile(*model); err != nil {
			fmt.Fprintf(env.Stderr, "camscope eval-loc: cannot read the model: %v\n", err)
			return ExitFailed
		}
		name = *model
	}
	ev, err := newLocEvaluator(name, data)
	if err != nil {
		fmt.Fprintf(env.Stderr, "camscope eval-loc: %v\n", err)
		return ExitFailed
	}
	rows := []struct {
		name string
		opt  shapes.Options
	}{
		{"single shape", shapes.Options{MaxShapes: 1}},
		{"2-3 shapes", shapes.Options{MinShapes: 2}},
		{"1-3 shapes (mixed)", shapes.Options{}},
	}
	fmt.Fprintf(env.Stdout, "%s: %dx%d scenes, %d classes; held-out series %d+row, never used in training.\n",
		name, ev.size, ev.size, len(ev.e.Labels), trainer.EvalSeed)
	fmt.Fprintf(env.Stdout, "Localisation as in Zhou et al. 2016: the top-1 CAM (from CAMscope's engine), upsampled,\n"+
		"kept above %.0f%% of its maximum; the largest connected component is boxed; correct when\n"+
		"the class is right and the box has IoU >= 0.5 with the dominant shape's box.\n\n", 100*shapes.LocThreshold)
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenes\tn\ttop-1 accuracy\tlocalisation\t")
	for i, r := range rows {
		res, err := ev.run(trainer.EvalSeed+uint64(i), *n, r.opt)
		if err != nil {
			fmt.Fprintf(env.Stderr, "camscope eval-loc: %v\n", err)
			return ExitFailed
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f%%\t%.1f%%\t\n", r.name, res.N, 100*res.Accuracy(), 100*res.LocAccuracy())
	}
	tw.Flush()
	return ExitOK
}

// locEvaluator scores a shapes model through the engine and CAM package
// the app uses, so the table measures what users see.
type locEvaluator struct {
	e    *cam.Explainer
	size int
}

func newLocEvaluator(name string, data []byte) (*locEvaluator, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("no model: pass --model FILE written by 'camscope train-shapes'")
	}
	m, err := inference.LoadBytes(name, data, inference.Options{})
	if err != nil {
		return nil, err
	}
	labels := strings.Split(m.Metadata[trainer.MetaLabels], "\n")
	if len(m.Inputs) != 1 || len(m.Inputs[0].Shape) != 4 || m.Inputs[0].Shape[2] != m.Inputs[0].Shape[3] ||
		len(labels) != shapes.NumClasses || labels[0] != shapes.Circle.String() {
		return nil, fmt.Errorf("%s is not a shapes model written by 'camscope train-shapes' (input %v, labels %q)", name, m.Inputs, labels)
	}
	e, err := cam.New(m, labels, "")
	if err != nil {
		return nil, err
	}
	if ok, why := e.SupportsCAM(); !ok {
		return nil, fmt.Errorf("%s: %s", name, why)
	}
	return &locEvaluator{e: e, size: m.Inputs[0].Shape[2]}, nil
}

func (ev *locEvaluator) run(seed uint64, n int, opt shapes.Options) (shapes.Result, error) {
	opt.Size = ev.size
	s := ev.size
	return shapes.Evaluate(seed, n, opt, func() shapes.Classifier {
		return func(sc shapes.Scene) (int, []float32, int, int, error) {
			x := tensor.FromFloat32([]int{1, 3, s, s}, shapes.ToCHW(make([]float32, 3*s*s), sc.Image))
			pass, err := ev.e.Forward(context.Background(), x, cam.CAM)
			if err != nil {
				return 0, nil, 0, 0, err
			}
			top := pass.Top(1)[0].Index
			m, err := pass.Map(top)
			return top, m.Data, m.W, m.H, err
		}
	})
}
