package session

import (
	"context"
	"image"
	"math"
	"slices"
	"testing"
	"time"

	"camscope/app/display"
	"camscope/app/explain"
	"camscope/app/photo"
	"camscope/app/render"
	"camscope/app/shapes"
	"camscope/inference/cam"
	"camscope/inference/preprocess"
)

// TestOcclusionPeaksOnTheShape checks the occlusion map with a known
// answer: on scenes of one shape, each recognised by the built-in model,
// the map of the shape's class peaks inside the shape's box, give or take
// half the square (a square that overlaps the shape's edge hides some of
// it, and the map averages the squares over each pixel).
func TestOcclusionPeaksOnTheShape(t *testing.T) {
	m, err := DefaultModel()
	if err != nil {
		t.Fatal(err)
	}
	opt := shapes.Options{MaxShapes: 1}
	checked := 0
	for i := range uint64(12) {
		scene := opt.Scene(17, i)
		res, err := explain.Photo(context.Background(), m, render.ToRGBA(scene.Image), explain.Request{Method: explain.Occlusion, TopK: 1})
		if err != nil {
			t.Fatal(err)
		}
		c := res.Classes[0]
		if c.Index != int(scene.Label) {
			continue
		}
		checked++
		peak := 0
		for j, v := range c.Map.Data {
			if v > c.Map.Data[peak] {
				peak = j
			}
		}
		x, y := peak%c.Map.W, peak/c.Map.W
		if c.Map.W != shapes.DefaultSize || c.Map.H != shapes.DefaultSize {
			t.Fatalf("a %dx%d map for a %d-pixel input", c.Map.W, c.Map.H, shapes.DefaultSize)
		}
		win, _ := cam.OcclusionWindow(shapes.DefaultSize, shapes.DefaultSize)
		if box := scene.Box().Inset(-win / 2); x < box.Min.X || x >= box.Max.X || y < box.Min.Y || y >= box.Max.Y {
			t.Errorf("scene %d (%s): the map peaks at (%d,%d), more than half a square outside the shape's box %v", i, scene.Label, x, y, box)
		}
	}
	if checked < 8 {
		t.Errorf("the model recognised only %d of 12 scenes", checked)
	}
}

// occlusionTile explains img with m as the app does (classes and maps of
// the request) and returns the scene and its first tile.
func occlusionTile(t testing.TB, m *explain.Model, img *image.RGBA, method explain.Method) (*display.Scene, *display.Tile) {
	t.Helper()
	res, err := explain.Photo(context.Background(), m, img, explain.Request{Method: method, TopK: explain.DefaultTopK})
	if err != nil {
		t.Fatal(err)
	}
	scene := display.NewScene(img, []*explain.Result{res}, display.DefaultView(), display.DisplaySide)
	return scene, scene.Rows[0][0]
}

// recognisedScene is a one-shape scene the built-in model names right.
func recognisedScene(t *testing.T, m *explain.Model) shapes.Scene {
	t.Helper()
	opt := shapes.Options{MaxShapes: 1}
	for i := range uint64(12) {
		scene := opt.Scene(17, i)
		res, err := explain.Photo(context.Background(), m, render.ToRGBA(scene.Image), explain.Request{Method: explain.CAM, TopK: 1})
		if err != nil {
			t.Fatal(err)
		}
		if res.Classes[0].Index == int(scene.Label) {
			return scene
		}
	}
	t.Fatal("the built-in model recognises none of 12 scenes")
	return shapes.Scene{}
}

// TestOccluderGreysTheSquare checks an outcome against the model run by
// hand on the input with the square at 0, and the known answer: the
// square on the shape lowers its class far more than in a corner away
// from it. Score-CAM, which would run a pass per channel, gives way to
// Grad-CAM.
func TestOccluderGreysTheSquare(t *testing.T) {
	m, err := DefaultModel()
	if err != nil {
		t.Fatal(err)
	}
	scene := recognisedScene(t, m)
	img := render.ToRGBA(scene.Image)
	sc, tile := occlusionTile(t, m, img, explain.ScoreCAM)
	outs := make(chan Occluded, 2)
	o := NewOccluder(sc, tile, func(out Occluded) { outs <- out })
	defer o.Close()
	if o.Method() != explain.GradCAM {
		t.Errorf("the live method is %s, want Grad-CAM instead of Score-CAM", o.Method())
	}
	box := scene.Box()
	centre := Square{X: float64(box.Min.X+box.Max.X) / 2, Y: float64(box.Min.Y+box.Max.Y) / 2, Side: 0.5}
	o.Move(centre)
	on := <-outs
	corner := Square{X: 0, Y: 0, Side: 0.25}
	if box.Min.X < 32 && box.Min.Y < 32 {
		corner.X, corner.Y = 63, 63
	}
	o.Move(corner)
	off := <-outs
	for _, out := range []Occluded{on, off} {
		if out.Err != nil {
			t.Fatal(out.Err)
		}
		x, _, err := preprocess.Prepare(img, m.Spec)
		if err != nil {
			t.Fatal(err)
		}
		p, err := m.Explainer.Forward(context.Background(), cam.Occlude(x, false, out.Input), cam.GradCAM)
		if err != nil {
			t.Fatal(err)
		}
		if want := p.Top(len(out.Top)); !slices.Equal(out.Top, want) || out.Class != p.Class(tile.Class.Index) {
			t.Errorf("square %v: top %v, want %v", out.Input, out.Top, want)
		}
		if out.Image == nil || out.Image.Rect != sc.Photo.Rect {
			t.Fatalf("square %v: no map over the display copy", out.Input)
		}
	}
	if on.Input.Dx() != 32 || on.Seq != 1 || off.Seq != 2 {
		t.Errorf("a half-input square is %v (want 32 pixels), moves %d and %d", on.Input, on.Seq, off.Seq)
	}
	before := tile.Class.Prob
	if dropOn, dropOff := before-on.Class.Prob, before-off.Class.Prob; !(dropOn > 0.2 && dropOn > 4*math.Abs(dropOff)) {
		t.Errorf("%s at %.3f: %.3f with the square on it, %.3f with it in a corner", tile.Class.Label, before, on.Class.Prob, off.Class.Prob)
	}
	if c := on.Image.RGBAAt(int(centre.X*sc.Scale), int(centre.Y*sc.Scale)); c != OccluderGrey {
		t.Errorf("the square's centre is drawn %v, want grey", c)
	}
}

// TestOccluderKeepsTheLatestMove moves the square 30 times while the first
// outcome is held: the moves made meanwhile are dropped, and the next run
// is the last move's.
func TestOccluderKeepsTheLatestMove(t *testing.T) {
	m, err := DefaultModel()
	if err != nil {
		t.Fatal(err)
	}
	sc, tile := occlusionTile(t, m, SamplePhoto().Image, explain.CAM)
	release := make(chan struct{})
	outs := make(chan Occluded, 30)
	held := false // deliver runs on the worker goroutine only
	o := NewOccluder(sc, tile, func(out Occluded) {
		if !held {
			held = true
			<-release
		}
		outs <- out
	})
	defer o.Close()
	var last int
	for i := range 30 {
		last = o.Move(Square{X: float64(2 * i), Y: 20, Side: DefaultSquareSide})
		if i == 0 {
			time.Sleep(10 * time.Millisecond) // the first run starts
		}
	}
	close(release)
	var seqs []int
	for out := range outs {
		if out.Err != nil {
			t.Fatal(out.Err)
		}
		seqs = append(seqs, out.Seq)
		if out.Seq == last {
			break
		}
	}
	if len(seqs) > 2 || seqs[len(seqs)-1] != 30 {
		t.Errorf("outcomes of moves %v; want at most the first and the last (30)", seqs)
	}
}

// BenchmarkOcclusionMove is the time from a move of the occlusion square
// to its outcome (one forward pass with the tape, the followed class's
// Grad-CAM map, drawn over the display copy), the square stepping over a
// real photo: the built-in MobileNetV2, and ResNet-18 (the shared
// reference model). It reports the median.
func BenchmarkOcclusionMove(b *testing.B) {
	p, err := photo.Load("../../../shared/images/cat.png")
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		load func() (*explain.Model, error)
	}{
		{"MobileNetV2", func() (*explain.Model, error) { return ImageNetModel("", preprocess.Options{}) }},
		{"ResNet18", func() (*explain.Model, error) {
			return explain.LoadModel(context.Background(), "../../../shared/reference/resnet18.onnx", explain.ModelOptions{})
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			m, err := bc.load()
			if err != nil {
				b.Fatal(err)
			}
			sc, tile := occlusionTile(b, m, p.Image, explain.GradCAM)
			o := &Occluder{tile: tile, scene: sc, model: m, method: explain.GradCAM, class: tile.Class.Index, topK: explain.DefaultTopK,
				nhwc: m.Spec.Layout == preprocess.NHWC}
			w, h := p.Image.Rect.Dx(), p.Image.Rect.Dy()
			o.explain(context.Background(), Square{X: 0, Y: 0, Side: DefaultSquareSide})
			var took []time.Duration
			b.ResetTimer()
			for i := range b.N {
				start := time.Now()
				out := o.explain(context.Background(), Square{X: float64(i*37%w) + 0.5, Y: float64(i*53%h) + 0.5, Side: DefaultSquareSide})
				if out.Err != nil {
					b.Fatal(out.Err)
				}
				took = append(took, time.Since(start))
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "ms-median/move")
		})
	}
}

// TestOccluderNHWC runs the occlusion experiment on the built-in
// MobileNetV2, whose input is [1,H,W,C]: the outcome is the model's on
// that input with the square's pixels at 0.
func TestOccluderNHWC(t *testing.T) {
	m, err := PhotoModel()
	if err != nil {
		t.Fatal(err)
	}
	if m.Spec.Layout != preprocess.NHWC {
		t.Fatalf("the built-in MobileNetV2's input is %s, this test wants NHWC", m.Spec.Layout)
	}
	p, err := photo.Load("../../../shared/images/cat.png")
	if err != nil {
		t.Fatal(err)
	}
	sc, tile := occlusionTile(t, m, p.Image, explain.CAM)
	outs := make(chan Occluded, 1)
	o := NewOccluder(sc, tile, func(out Occluded) { outs <- out })
	defer o.Close()
	o.Move(Square{X: 256, Y: 150, Side: 0.3})
	out := <-outs
	if out.Err != nil {
		t.Fatal(out.Err)
	}
	x, _, err := preprocess.Prepare(p.Image, m.Spec)
	if err != nil {
		t.Fatal(err)
	}
	pass, err := m.Explainer.ForwardOptions(context.Background(), cam.Occlude(x, true, out.Input), cam.CAM, cam.Options{NHWC: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := pass.Top(len(out.Top)); !slices.Equal(out.Top, want) || out.Input.Dx() != 67 {
		t.Errorf("square %v: top %v, want %v", out.Input, out.Top, want)
	}
}
