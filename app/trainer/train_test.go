package trainer

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"

	"camscope/app/shapes"
)

// TestStepsLowerLoss trains a small network on one fixed batch: a handful of
// Adam steps must fit it noticeably better.
func TestStepsLowerLoss(t *testing.T) {
	a := Arch{Size: 32, Classes: shapes.NumClasses, Convs: []ConvSpec{{8, true}, {16, false}}}
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
	a := Arch{Size: 32, Classes: shapes.NumClasses, BatchNorm: true, Convs: []ConvSpec{{8, true}, {12, false}}}
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
		op.SetTraining(false)
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
