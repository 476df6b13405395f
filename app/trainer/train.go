package trainer

import (
	"fmt"
	"math"
	"time"

	G "gorgonia.org/gorgonia"

	"camscope/app/shapes"
)

// Scene series. Training scenes come from series trainBase^(Seed<<16),
// whose low 16 bits are always trainBase, so no training seed reaches the
// held-out series EvalSeed, EvalSeed+1 and EvalSeed+2.
const (
	EvalSeed  = 0xe5a1 // classification and localisation checks
	trainBase = 0x7a11
)

// Config says how to train.
type Config struct {
	Arch  Arch
	Seed  uint64 // initial weights and training scenes
	Steps int
	Batch int
	LR    float64 // peak learning rate of Adam for the convolutions
	// HeadLRFactor multiplies LR for the linear layer.
	HeadLRFactor float64
	// Scenes says what training scenes to draw; its Size is Arch.Size.
	Scenes shapes.Options
	// SingleFraction of the steps, at the start, see one shape per scene,
	// the first PlainFraction of them on plain backgrounds only. Without
	// other shapes every scene's label is the only shape in it, so the
	// network finds shape features sooner; the full scenes then teach it
	// that the largest shape wins.
	SingleFraction, PlainFraction float64
	// Checkpoint, if set, is called with the current weights (folded)
	// every CheckpointEvery steps.
	Checkpoint      func(step int, p *Params)
	CheckpointEvery int
	// Log, if set, receives progress lines.
	Log func(format string, args ...any)
}

// DefaultConfig is the configuration of the shipped model.
func DefaultConfig() Config {
	return Config{
		Arch:           DefaultArch(shapes.DefaultSize, shapes.NumClasses, true),
		Seed:           1,
		Steps:          6000,
		Batch:          32,
		LR:             3e-3,
		HeadLRFactor:   3,
		SingleFraction: 0.3,
		PlainFraction:  0.12,
	}
}

// Train trains a network from scratch and returns its weights, with batch
// normalisation folded into the convolutions. The same Config gives the
// same weights.
func Train(cfg Config) (*Params, error) {
	logf := cfg.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	p := NewParams(cfg.Arch, cfg.Seed)
	n, err := newNet(p, cfg.Batch)
	if err != nil {
		return nil, err
	}
	// The linear layer gets its own, faster solver: its weights must grow
	// from near zero to scores of several units, while the convolutions
	// need only small relative changes.
	body := G.NewAdamSolver(G.WithLearnRate(cfg.LR))
	head := G.NewAdamSolver(G.WithLearnRate(cfg.LR * cfg.HeadLRFactor))
	bodyNodes, headNodes := n.learnables()[:len(n.learnables())-2], n.learnables()[len(n.learnables())-2:]
	batches := prefetch(cfg)
	start := time.Now()
	var lossSum float64
	correct, seen := 0, 0
	for step := 0; step < cfg.Steps; step++ {
		lr := learnRate(cfg, step)
		G.WithLearnRate(lr)(body)
		G.WithLearnRate(lr * cfg.HeadLRFactor)(head)
		b := <-batches
		loss, logits, err := n.step(b.x, b.onehot)
		if err != nil {
			return nil, fmt.Errorf("step %d: %w", step, err)
		}
		if math.IsNaN(float64(loss)) {
			return nil, fmt.Errorf("trainer: loss is NaN at step %d; lower the learning rate", step)
		}
		if err = body.Step(G.NodesToValueGrads(bodyNodes)); err == nil {
			err = head.Step(G.NodesToValueGrads(headNodes))
		}
		if err != nil {
			return nil, fmt.Errorf("step %d: solver: %w", step, err)
		}
		if cfg.Checkpoint != nil && cfg.CheckpointEvery > 0 && (step+1)%cfg.CheckpointEvery == 0 && step+1 < cfg.Steps {
			cfg.Checkpoint(step+1, n.params().Fold())
		}
		lossSum += float64(loss)
		for i, l := range b.labels {
			if argmax(logits[i*cfg.Arch.Classes:(i+1)*cfg.Arch.Classes]) == l {
				correct++
			}
		}
		seen += len(b.labels)
		if (step+1)%logEvery == 0 || step+1 == cfg.Steps {
			el := time.Since(start)
			eta := time.Duration(float64(el) / float64(step+1) * float64(cfg.Steps-step-1))
			logf("step %5d/%d  loss %.4f  train acc %5.1f%%  lr %.2g  %s elapsed, ~%s left",
				step+1, cfg.Steps, lossSum*float64(cfg.Batch)/float64(seen), 100*float64(correct)/float64(seen), learnRate(cfg, step),
				el.Round(time.Second), eta.Round(time.Second))
			lossSum, correct, seen = 0, 0, 0
		}
	}
	return n.params().Fold(), nil
}

// logEvery is the number of steps between progress lines.
var logEvery = 50

// learnRate warms up linearly over the first 5% of the steps, then follows
// a cosine down to 2% of the peak.
func learnRate(cfg Config, step int) float64 {
	warm := max(1, cfg.Steps/20)
	if step < warm {
		return cfg.LR * float64(step+1) / float64(warm)
	}
	t := float64(step-warm) / float64(max(1, cfg.Steps-warm))
	return cfg.LR * (0.02 + 0.98*0.5*(1+math.Cos(math.Pi*t)))
}

type batch struct {
	x, onehot []float32
	labels    []int
}

// prefetch draws training batches on another goroutine, so that scene
// generation overlaps the gorgonia step. Batch i holds scenes
// i*Batch ... (i+1)*Batch-1 of the training series.
func prefetch(cfg Config) <-chan batch {
	ch := make(chan batch, 2)
	go func() {
		defer close(ch)
		for step := 0; step < cfg.Steps; step++ {
			opt := sceneOptions(cfg)
			if float64(step) < cfg.SingleFraction*float64(cfg.Steps) {
				opt.MinShapes, opt.MaxShapes = 1, 1
			}
			if float64(step) < cfg.PlainFraction*float64(cfg.Steps) {
				opt.Plain = true
			}
			ch <- makeBatch(cfg.Arch, trainBase^cfg.Seed<<16, uint64(step*cfg.Batch), cfg.Batch, opt)
		}
	}()
	return ch
}

func makeBatch(a Arch, seed, first uint64, n int, opt shapes.Options) batch {
	s := a.Size
	b := batch{x: make([]float32, n*3*s*s), onehot: make([]float32, n*a.Classes), labels: make([]int, n)}
	for i := 0; i < n; i++ {
		sc := opt.Scene(seed, first+uint64(i))
		shapes.ToCHW(b.x[i*3*s*s:(i+1)*3*s*s], sc.Image)
		b.labels[i] = int(sc.Label)
		b.onehot[i*a.Classes+int(sc.Label)] = 1
	}
	return b
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// Evaluate scores p on n scenes of the held-out series seed drawn with opt,
// with its own forward pass and CAM (see shapes.Evaluate).
func (p *Params) Evaluate(seed uint64, n int, opt shapes.Options) shapes.Result {
	opt.Size = p.Arch.Size
	s, fs := p.Arch.Size, p.Arch.FeatureSize()
	res, _ := shapes.Evaluate(seed, n, opt, func() shapes.Classifier {
		x := make([]float32, 3*s*s)
		return func(sc shapes.Scene) (int, []float32, int, int, error) {
			feat, logits := p.Forward(shapes.ToCHW(x, sc.Image))
			c := argmax(logits)
			return c, p.CAM(feat, c), fs, fs, nil
		}
	})
	return res
}

func sceneOptions(cfg Config) shapes.Options {
	o := cfg.Scenes
	o.Size = cfg.Arch.Size
	return o
}
