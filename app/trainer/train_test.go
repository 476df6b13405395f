package trainer

import (
	"math"
	"runtime"
	"testing"

	G "gorgonia.org/gorgonia"

	"camscope/app/shapes"
)

// TestStepsLowerLoss trains a small network on one fixed batch: a handful of
// Adam steps must fit it noticeably better.
func TestStepsLowerLoss(t *testing.T) {
	a := Arch{Size: 32, Classes: shapes.NumClasses, Convs: []ConvSpec{{8, 3, true}, {16, 3, false}}}
	p := NewParams(a, 3)
	n, err := newNet(p, 8)
	if err != nil {
		t.Fatal(err)
	}
	b := makeBatch(a, 99, 0, 8, shapes.Options{Size: 32, MaxShapes: 1})
	solver := G.NewAdamSolver(G.WithLearnRate(1e-2))
	var first, last float32
	for i := 0; i < 30; i++ {
		loss, _, err := n.step(b.x, b.onehot)
		if err != nil {
			t.Fatal(err)
		}
		if err := solver.Step(G.NodesToValueGrads(n.learnables())); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = loss
		}
		last = loss
		t.Log(i, loss)
	}
	if !(last < 0.7*first) {
		t.Errorf("loss went from %.4f to %.4f in 30 steps on one batch", first, last)
	}
}

// TestFold checks folded weights against gorgonia's own batch normalisation
// in inference mode, after a few training steps have moved the statistics.
func TestFold(t *testing.T) {
	a := Arch{Size: 32, Classes: shapes.NumClasses, BatchNorm: true, Convs: []ConvSpec{{8, 3, true}, {12, 1, false}}}
	n, err := newNet(NewParams(a, 5), 8)
	if err != nil {
		t.Fatal(err)
	}
	solver := G.NewAdamSolver(G.WithLearnRate(1e-2))
	for i := 0; i < 5; i++ {
		b := makeBatch(a, 1, uint64(8*i), 8, shapes.Options{Size: 32})
		if _, _, err := n.step(b.x, b.onehot); err != nil {
			t.Fatal(err)
		}
		if err := solver.Step(G.NodesToValueGrads(n.learnables())); err != nil {
			t.Fatal(err)
		}
	}
	folded := n.params().Fold()
	for _, op := range n.bn {
		op.training = false
	}
	b := makeBatch(a, 2, 0, 8, shapes.Options{Size: 32})
	_, got, err := n.step(b.x, b.onehot)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 8; i++ {
		_, want := folded.Forward(b.x[i*3*32*32 : (i+1)*3*32*32])
		for c := range want {
			if d := math.Abs(float64(got[i*a.Classes+c] - want[c])); d > 1e-4*math.Max(1, math.Abs(float64(want[c]))) {
				t.Fatalf("image %d class %d: gorgonia (inference-mode batch norm) %v, folded %v", i, c, got[i*a.Classes+c], want[c])
			}
		}
	}
}

// TestTrainIsReproducible trains a small network twice from one Config:
// the weights must be the same to the bit, whatever the number of cores.
func TestTrainIsReproducible(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Arch = DefaultArch(32, shapes.NumClasses, true)
	cfg.Arch.Convs = cfg.Arch.Convs[:3]
	cfg.Steps, cfg.Batch = 6, 5
	first, err := Train(cfg)
	if err != nil {
		t.Fatal(err)
	}
	prev := runtime.GOMAXPROCS(1)
	second, err := Train(cfg)
	runtime.GOMAXPROCS(prev)
	if err != nil {
		t.Fatal(err)
	}
	same := func(what string, a, b []float32) {
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				t.Fatalf("%s[%d]: %v, then %v", what, i, a[i], b[i])
			}
		}
	}
	for i := range first.Convs {
		same("conv weights", first.Convs[i].W, second.Convs[i].W)
		same("conv biases", first.Convs[i].B, second.Convs[i].B)
	}
	same("linear weights", first.FCW, second.FCW)
	cfg.Seed++
	other, err := Train(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if other.FCW[0] == first.FCW[0] {
		t.Error("another seed gave the same weights")
	}
}

// BenchmarkTrainStep times one training step of the shipped network's
// configuration: forward and backward passes on a batch of 32 scenes (the
// solver's update is left out).
func BenchmarkTrainStep(b *testing.B) {
	cfg := DefaultConfig()
	n, err := newNet(NewParams(cfg.Arch, cfg.Seed), cfg.Batch)
	if err != nil {
		b.Fatal(err)
	}
	batch := makeBatch(cfg.Arch, 1, 0, cfg.Batch, shapes.Options{})
	for b.Loop() {
		if _, _, err := n.step(batch.x, batch.onehot); err != nil {
			b.Fatal(err)
		}
	}
}
