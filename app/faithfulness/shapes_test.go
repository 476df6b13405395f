package faithfulness

import (
	"context"
	"image"
	"slices"
	"sync"
	"testing"

	"camscope/app/shapes"
	"camscope/assets"
	"camscope/inference"
	"camscope/inference/cam"
	"camscope/inference/tensor"
)

var shapesModel = sync.OnceValues(func() (*cam.Explainer, error) {
	m, err := inference.LoadBytes("shapes", assets.ShapesModel, inference.Options{})
	if err != nil {
		return nil, err
	}
	return cam.New(m, shapes.Labels(), "")
})

func loadShapes(t *testing.T) *cam.Explainer {
	t.Helper()
	e, err := shapesModel()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// shapeScene is held-out scene i (a series the model never trained on)
// with one shape, as the model's input.
func shapeScene(i int) (shapes.Scene, *tensor.Tensor) {
	sc := shapes.Options{MaxShapes: 1}.Scene(0x5eed, uint64(i))
	s := shapes.DefaultSize
	return sc, tensor.FromFloat32([]int{1, 3, s, s}, shapes.ToCHW(make([]float32, 3*s*s), sc.Image))
}

// boxMap is 1 inside r and 0 outside (or the reverse).
func boxMap(r image.Rectangle, inside float32) Saliency {
	s := shapes.DefaultSize
	m := Saliency{W: s, H: s, Data: make([]float32, s*s)}
	for i := range m.Data {
		m.Data[i] = 1 - inside
		if image.Pt(i%s, i/s).In(r) {
			m.Data[i] = inside
		}
	}
	return m
}

type summary struct {
	drop, increase, deletion, insertion, road, iou, hits float64
}

func TestObjectMaskBeatsInverseAndConstant(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the shapes model about 3000 times")
	}
	e := loadShapes(t)
	score := Runs(e.Model, e.Head.Logits, 2)
	ctx := context.Background()
	const n = 32
	var mask, inverse, constant summary
	for i := range n {
		sc, x := shapeScene(i)
		p, err := NewPhoto(ctx, score, x, false, int(sc.Label))
		if err != nil {
			t.Fatal(err)
		}
		flat, err := Place(cam.Map{W: 1, H: 1, Data: []float32{0.5}}, shapes.DefaultSize, shapes.DefaultSize)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			s   Saliency
			sum *summary
		}{{boxMap(sc.Box(), 1), &mask}, {boxMap(sc.Box(), 0), &inverse}, {flat, &constant}} {
			r, err := p.Evaluate(ctx, c.s, Options{Metrics: []Metric{Drop, Deletion, Insertion, ROADScore}, Steps: 20, Seed: uint64(i)})
			if err != nil {
				t.Fatal(err)
			}
			l, err := Localise(c.s, sc.Box())
			if err != nil {
				t.Fatal(err)
			}
			c.sum.drop += r.Confidence.Drop / n
			if r.Confidence.Increase {
				c.sum.increase += 1.0 / n
			}
			c.sum.deletion += r.Deletion.AUC / n
			c.sum.insertion += r.Insertion.AUC / n
			c.sum.road += r.ROAD.Combined / n
			c.sum.iou += l.IoU / n
			if l.Hit {
				c.sum.hits += 1.0 / n
			}
		}
	}
	t.Logf("mask %+v\ninverse %+v\nconstant %+v", mask, inverse, constant)
	for name, o := range map[string]summary{"inverse": inverse, "constant": constant} {
		if !(mask.drop < o.drop && mask.increase >= o.increase && mask.deletion < o.deletion && mask.insertion > o.insertion &&
			mask.road > o.road && mask.iou > o.iou && mask.hits > o.hits) {
			t.Errorf("the object's mask does not beat the %s map on every metric:\nmask %+v\n%s %+v", name, mask, name, o)
		}
	}
}

// camOf is the map of class k by method with the model m, placed on x.
func camOf(ctx context.Context, m *inference.Model, x *tensor.Tensor, method cam.Method, k int) (Saliency, error) {
	e, err := cam.New(m, shapes.Labels(), "")
	if err != nil {
		return Saliency{}, err
	}
	pass, err := e.Forward(ctx, x, method)
	if err != nil {
		return Saliency{}, err
	}
	raw, err := pass.Map(k)
	if err != nil {
		return Saliency{}, err
	}
	return Place(raw, x.Shape[3], x.Shape[2])
}

func TestPointingGameOnShapes(t *testing.T) {
	e := loadShapes(t)
	ctx := context.Background()
	const n = 40
	hits, iou := 0, 0.0
	for i := range n {
		sc, x := shapeScene(i)
		s, err := camOf(ctx, e.Model, x, cam.CAM, int(sc.Label))
		if err != nil {
			t.Fatal(err)
		}
		l, err := Localise(s, sc.Box())
		if err != nil {
			t.Fatal(err)
		}
		if l.Hit {
			hits++
		}
		iou += l.IoU / n
		// The pointing game is the maximum's place, found here again.
		best := 0
		for j, v := range s.Data {
			if v > s.Data[best] {
				best = j
			}
		}
		if want := image.Pt(best%s.W, best/s.W).In(sc.Box()); l.Hit != want {
			t.Fatalf("scene %d: hit %v, but the maximum at %d lies in %v: %v", i, l.Hit, best, sc.Box(), want)
		}
	}
	t.Logf("CAM on %d single-shape scenes: pointing game %d hits, mean IoU %.2f", n, hits, iou)
	// The built-in model's CAM localises most single shapes (eval-loc);
	// a map pointing anywhere would hit the box about as often as the box
	// covers the scene (a few percent to a quarter).
	if hits < n*8/10 || iou < 0.4 {
		t.Fatalf("CAM pointed at the shape in %d of %d scenes (mean IoU %.2f); want at least 80%%", hits, n, iou)
	}
}

// sobel is an edge "map" of the scene: the magnitude of the Sobel
// gradient of the input's channel mean; it knows nothing of the model.
func sobel(x *tensor.Tensor) Saliency {
	h, w := x.Shape[2], x.Shape[3]
	lum := func(y, xx int) float64 {
		y, xx = min(max(y, 0), h-1), min(max(xx, 0), w-1)
		var v float64
		for c := range 3 {
			v += float64(x.F[(c*h+y)*w+xx]) / 3
		}
		return v
	}
	raw := cam.Map{W: w, H: h, Data: make([]float32, w*h)}
	for y := range h {
		for xx := range w {
			gx := lum(y-1, xx+1) + 2*lum(y, xx+1) + lum(y+1, xx+1) - lum(y-1, xx-1) - 2*lum(y, xx-1) - lum(y+1, xx-1)
			gy := lum(y+1, xx-1) + 2*lum(y+1, xx) + lum(y+1, xx+1) - lum(y-1, xx-1) - 2*lum(y-1, xx) - lum(y-1, xx+1)
			raw.Data[y*w+xx] = float32(gx*gx + gy*gy)
		}
	}
	s, _ := Place(raw, w, h)
	return s
}

func TestSanityCheckTellsModelFromEdges(t *testing.T) {
	e := loadShapes(t)
	ctx := context.Background()
	sc, x := shapeScene(3)
	k := int(sc.Label)
	before, err := camOf(ctx, e.Model, x, cam.GradCAM, k)
	if err != nil {
		t.Fatal(err)
	}
	layers := e.Model.WeightedLayers()
	depth := min(3, len(layers))
	grad, err := SanityCheck(ctx, e.Model, depth, 1, func(ctx context.Context, m *inference.Model) (Saliency, error) {
		return camOf(ctx, m, x, cam.GradCAM, k)
	})
	if err != nil {
		t.Fatal(err)
	}
	edges, err := SanityCheck(ctx, e.Model, depth, 1, func(context.Context, *inference.Model) (Saliency, error) {
		return sobel(x), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("layers %v: Grad-CAM %v, Sobel %v", grad.Layers, grad.Correlations, edges.Correlations)
	if grad.Layers[0] != layers[len(layers)-1] || len(grad.Correlations) != depth {
		t.Fatalf("re-initialised %v, want the last layer %q first and %d depths", grad.Layers, layers[len(layers)-1], depth)
	}
	for i, c := range edges.Correlations {
		if c != 1 {
			t.Errorf("the Sobel map changed with %d layers re-initialised: correlation %v", i+1, c)
		}
	}
	for i, c := range grad.Correlations {
		if c > 0.9 {
			t.Errorf("Grad-CAM's map hardly changed with %d layers re-initialised: correlation %v", i+1, c)
		}
	}
	// The model itself is left as it was.
	again, err := camOf(ctx, e.Model, x, cam.GradCAM, k)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := Spearman(again, before); c != 1 {
		t.Fatalf("the model changed: its map correlates %v with itself", c)
	}
	if _, err := SanityCheck(ctx, e.Model, len(layers)+1, 1, nil); err == nil {
		t.Fatal("re-initialising more layers than the model has was not refused")
	}
}

func TestConcurrentCurvesAgreeWithSequentialOnes(t *testing.T) {
	e := loadShapes(t)
	ctx := context.Background()
	sc, x := shapeScene(5)
	maps := []Saliency{boxMap(sc.Box(), 1), boxMap(sc.Box(), 0)}
	seq, err := NewPhoto(ctx, Runs(e.Model, e.Head.Logits, 1), x, false, int(sc.Label))
	if err != nil {
		t.Fatal(err)
	}
	par, err := NewPhoto(ctx, Runs(e.Model, e.Head.Logits, 4), x, false, int(sc.Label))
	if err != nil {
		t.Fatal(err)
	}
	want := make([]Curve, len(maps))
	for i, s := range maps {
		if want[i], err = seq.Insertion(ctx, s, 12); err != nil {
			t.Fatal(err)
		}
	}
	got := make([]Curve, len(maps))
	errs := make([]error, len(maps))
	var wg sync.WaitGroup
	for i, s := range maps {
		wg.Go(func() { got[i], errs[i] = par.Insertion(ctx, s, 12) })
	}
	wg.Wait()
	for i := range maps {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !slices.Equal(got[i].Probs, want[i].Probs) {
			t.Fatalf("map %d: insertion %v with four runs at once from two goroutines, %v one at a time", i, got[i].Probs, want[i].Probs)
		}
	}
	// Both curves share the blurred start and the photo at their end.
	if seq.Passes() != par.Passes() || par.Passes() != 1+2*12-1 {
		t.Fatalf("%d and %d passes, want 24", seq.Passes(), par.Passes())
	}
}
