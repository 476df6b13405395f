package cli

import (
	"fmt"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"camscope/app/atomicfile"
	"camscope/app/shapes"
	"camscope/app/trainer"
)

// Sample scenes written next to the model come from their own series, so
// they are neither training nor evaluation scenes.
const sampleSeed = 0x5a3b1e

func init() {
	register(&command{
		name:    "train-shapes",
		summary: "train the built-in shape classifier and write it with labels and sample scenes",
		run:     runTrainShapes,
	})
}

func runTrainShapes(env *Env, args []string) int {
	cfg := trainer.DefaultConfig()
	fs := newFlags(env, "train-shapes", "[--out DIR] [--seed N] [--steps N] [--batch N] [--lr X] [--eval N]")
	out := fs.String("out", filepath.Join("assets", "shapes"), "folder to write shapes.onnx, labels.txt and sample scenes into")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the initial weights and of the training scenes")
	fs.IntVar(&cfg.Steps, "steps", cfg.Steps, "training steps (batches)")
	fs.IntVar(&cfg.Batch, "batch", cfg.Batch, "scenes per batch")
	fs.Float64Var(&cfg.LR, "lr", cfg.LR, "peak learning rate of Adam")
	evalN := fs.Int("eval", 2000, "held-out scenes to measure accuracy on after training")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if cfg.Steps < 1 || cfg.Batch < 1 || !(cfg.LR > 0 && cfg.LR <= math.MaxFloat64) || *evalN < 0 {
		fmt.Fprintln(env.Stderr, "camscope train-shapes: --steps, --batch and --lr must be positive and --eval not negative.")
		return ExitUsage
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintf(env.Stderr, "camscope train-shapes: cannot create %s: %v\n", *out, err)
		return ExitFailed
	}
	cfg.Log = func(format string, a ...any) { fmt.Fprintf(env.Stdout, format+"\n", a...) }
	// Checkpoints keep a usable model on disk should a long run be stopped.
	cfg.CheckpointEvery = 250
	cfg.Checkpoint = func(step int, p *trainer.Params) {
		if err := writeShapesModel(*out, p, fmt.Sprintf("checkpoint at step %d of %d", step, cfg.Steps)); err != nil {
			fmt.Fprintf(env.Stderr, "camscope train-shapes: checkpoint: %v\n", err)
		}
	}
	p0 := trainer.NewParams(cfg.Arch, cfg.Seed)
	fmt.Fprintf(env.Stdout, "training %d-class classifier on %dx%d scenes: convs %v, %d weights, %d steps of %d, seed %d\n",
		cfg.Arch.Classes, cfg.Arch.Size, cfg.Arch.Size, cfg.Arch.Convs, p0.Count(), cfg.Steps, cfg.Batch, cfg.Seed)
	start := time.Now()
	p, err := trainer.Train(cfg)
	if err != nil {
		fmt.Fprintf(env.Stderr, "camscope train-shapes: %v\n", err)
		return ExitFailed
	}
	took := time.Since(start).Round(time.Second)
	fmt.Fprintf(env.Stdout, "trained in %s\n", took)

	training := fmt.Sprintf("trained by 'camscope train-shapes' with gorgonia: Adam, peak lr %g, %d steps of %d generated scenes (series seed %d), %s on this machine",
		cfg.LR, cfg.Steps, cfg.Batch, cfg.Seed, took)
	err = writeShapesModel(*out, p, training)
	if err == nil {
		fi, _ := os.Stat(filepath.Join(*out, "shapes.onnx"))
		fmt.Fprintf(env.Stdout, "wrote %s (%d bytes)\n", filepath.Join(*out, "shapes.onnx"), fi.Size())
	}
	if err == nil {
		err = atomicfile.Write(filepath.Join(*out, "labels.txt"), func(w io.Writer) error {
			_, err := io.WriteString(w, strings.Join(shapes.Labels(), "\n")+"\n")
			return err
		})
	}
	if err == nil {
		err = writeSamples(*out)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "camscope train-shapes: %v\n", err)
		return ExitFailed
	}
	if *evalN > 0 {
		r := p.Evaluate(trainer.EvalSeed+2, *evalN, shapes.Options{}) // the mixed row of eval-loc
		fmt.Fprintf(env.Stdout, "held-out accuracy on %d scenes: %.1f%% (CAM localisation %.1f%%)\n", r.N, 100*r.Accuracy(), 100*r.LocAccuracy())
	}
	return ExitOK
}

// writeShapesModel exports p as dir/shapes.onnx.
func writeShapesModel(dir string, p *trainer.Params, training string) error {
	model, err := trainer.Export(p, shapes.Labels(), training)
	if err != nil {
		return err
	}
	b, err := model.Marshal()
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, "shapes.onnx"), func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// writeSamples writes one sample scene per class (the first of its class in
// the sample series), named after the class.
func writeSamples(dir string) error {
	opt := shapes.Options{}
	done := map[shapes.Class]bool{}
	for i := uint64(0); len(done) < shapes.NumClasses && i < 10000; i++ {
		sc := opt.Scene(sampleSeed, i)
		if done[sc.Label] || len(sc.Objects) < 1+int(i%3) {
			continue
		}
		done[sc.Label] = true
		err := atomicfile.Write(filepath.Join(dir, "sample_"+sc.Label.String()+".png"), func(w io.Writer) error {
			return png.Encode(w, sc.Image)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
