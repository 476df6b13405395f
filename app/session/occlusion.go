package session

import (
	"context"
	"image"
	"image/color"
	"image/draw"
	"math"
	"sync"
	"time"

	"camscope/app/display"
	"camscope/app/explain"
	"camscope/inference/cam"
	"camscope/inference/preprocess"
	"camscope/inference/tensor"
)

// OccluderGrey is the colour the square is drawn in: the grey the
// model sees is the mean of its preprocessing (0 after normalisation).
var OccluderGrey = color.RGBA{128, 128, 128, 255}

// DefaultSquareSide is the square's side at first, as a fraction of the
// shorter side of the model's input: a seventh, as the Occlusion method's
// default square.
const DefaultSquareSide = 1.0 / 7

// Square is the grey square of the occlusion experiment: its centre in
// photo pixels and its side as a fraction of the shorter side of the
// model's input.
type Square struct{ X, Y, Side float64 }

// Occluded is what one position of the square gives.
type Occluded struct {
	Seq    int             // the Move it answers (1 for the first)
	Square Square          // as moved
	Input  image.Rectangle // the square in the model's input pixels
	// Top are the most probable classes of the photo with the square, as
	// many as the tile's result has; Class is the followed class on it.
	Top   []explain.Class
	Class explain.Class
	// Image is the followed class's map over the display copy of the photo
	// (display.Scene.Photo), with the square drawn on it.
	Image *image.RGBA
	Took  time.Duration // from the Move to the outcome
	Err   error
}

// Occluder is the occlusion experiment on one tile: the tile's photo
// explained again and again by its model with a grey square where the user
// moves it (in the model's input every channel of the square is 0, the
// mean after normalisation, as the Occlusion method greys its squares),
// giving the top classes and the map of the tile's class each time. It
// works on a goroutine of its own; a Move made while a run is in flight
// replaces any move still waiting, so that only the latest position runs
// next and the outcomes keep up with the pointer. Outcomes go to deliver
// on that goroutine.
type Occluder struct {
	tile *display.Tile
	// scene is a copy of the tile's scene as it was (the photo copy, its
	// scale and view): the window may change the view while a run reads it.
	scene   *display.Scene
	model   *explain.Model
	method  explain.Method
	class   int
	topK    int
	nhwc    bool
	deliver func(Occluded)

	// x and geo are the photo prepared once, on the worker.
	x   *tensor.Tensor
	geo preprocess.Geometry
	ex  *cam.Explainer

	mu      sync.Mutex
	next    Square
	nextSeq int
	movedAt time.Time
	pending bool
	seq     int

	wake   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

// LiveMethod is the method maps are computed with while the user moves
// something (the occlusion square, the layer scrubber): the chosen one,
// but Grad-CAM instead of the methods that run a forward pass per channel
// or square (Score-CAM, Ablation-CAM, Occlusion), which take seconds.
func LiveMethod(m explain.Method) explain.Method {
	switch m {
	case explain.ScoreCAM, explain.AblationCAM, explain.Occlusion:
		return explain.GradCAM
	}
	return m
}

// NewOccluder starts the occlusion experiment on tile t of scene (the
// scene the tile belongs to: its photo copy is what the maps are drawn
// on). Close stops it.
func NewOccluder(scene *display.Scene, t *display.Tile, deliver func(Occluded)) *Occluder {
	ctx, cancel := context.WithCancel(context.Background())
	r := t.Result
	o := &Occluder{tile: t, scene: &display.Scene{Photo: scene.Photo, Scale: scene.Scale, View: scene.View}, model: r.Model, method: LiveMethod(r.Request.Method), class: t.Class.Index,
		topK: max(1, r.Request.TopK), nhwc: r.Model.Spec.Layout == preprocess.NHWC, deliver: deliver,
		wake: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	go o.loop(ctx)
	return o
}

// Method is the method the maps are computed with (see LiveMethod).
func (o *Occluder) Method() explain.Method { return o.method }

// Move asks for the photo with the square at sq and returns the move's
// number (Occluded.Seq). It does not wait.
func (o *Occluder) Move(sq Square) int {
	o.mu.Lock()
	o.seq++
	o.next, o.nextSeq, o.movedAt, o.pending = sq, o.seq, time.Now(), true
	seq := o.seq
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
	return seq
}

// Close stops the experiment and waits for the run in flight, whose
// outcome is not delivered.
func (o *Occluder) Close() {
	o.cancel()
	<-o.done
}

func (o *Occluder) loop(ctx context.Context) {
	defer close(o.done)
	for {
		select {
		case <-ctx.Done():
			return
		case <-o.wake:
		}
		o.mu.Lock()
		sq, seq, at, ok := o.next, o.nextSeq, o.movedAt, o.pending
		o.pending = false
		o.mu.Unlock()
		if !ok {
			continue
		}
		out := o.explain(ctx, sq)
		if ctx.Err() != nil {
			return
		}
		out.Seq, out.Took = seq, time.Since(at)
		o.deliver(out)
	}
}

// explain runs the model on the photo with the square at sq: one forward
// pass (with the tape for a gradient method), the map of the followed
// class, and the map drawn over the display copy.
func (o *Occluder) explain(ctx context.Context, sq Square) Occluded {
	out := Occluded{Square: sq}
	if o.x == nil {
		x, geo, err := preprocess.Prepare(o.tile.Result.Photo, o.model.Spec)
		if err != nil {
			out.Err = err
			return out
		}
		ex, err := o.model.ExplainerAt(o.tile.Result.Request.Layer)
		if err != nil {
			out.Err = err
			return out
		}
		o.x, o.geo, o.ex = x, geo, ex
	}
	out.Input = o.inputSquare(sq)
	pass, err := o.ex.ForwardOptions(ctx, cam.Occlude(o.x, o.nhwc, out.Input), o.method, cam.Options{NHWC: o.nhwc})
	if err != nil {
		out.Err = err
		return out
	}
	out.Top, out.Class = pass.Top(o.topK), pass.Class(o.class)
	m, err := pass.Map(o.class)
	if err != nil {
		out.Err = err
		return out
	}
	req := o.tile.Result.Request
	req.Method = o.method
	res := &explain.Result{Model: o.model, Request: req, Photo: o.tile.Result.Photo, Geometry: o.geo,
		Classes: []explain.Explained{{Class: out.Class, Rank: o.tile.Class.Rank, Map: m}}}
	sc := o.scene.Rescale([]*explain.Result{res}, o.scene.View)
	out.Image = sc.Rows[0][0].Image
	draw.Draw(out.Image, o.displaySquare(out.Input, sc.Scale), image.NewUniform(OccluderGrey), image.Point{}, draw.Src)
	return out
}

// inputSquare is sq in the model's input pixels.
func (o *Occluder) inputSquare(sq Square) image.Rectangle {
	w, h := o.geo.Width, o.geo.Height
	side := max(1, int(math.Round(sq.Side*float64(min(w, h)))))
	u, v := o.geo.PhotoToTensor(sq.X, sq.Y)
	x0, y0 := int(math.Round(u-float64(side)/2)), int(math.Round(v-float64(side)/2))
	return image.Rect(x0, y0, x0+side, y0+side).Intersect(image.Rect(0, 0, w, h))
}

// displaySquare is the input square r on the display copy, scale copy
// pixels per photo pixel.
func (o *Occluder) displaySquare(r image.Rectangle, scale float64) image.Rectangle {
	x0, y0 := o.geo.TensorToPhoto(float64(r.Min.X), float64(r.Min.Y))
	x1, y1 := o.geo.TensorToPhoto(float64(r.Max.X), float64(r.Max.Y))
	return image.Rect(int(math.Round(x0*scale)), int(math.Round(y0*scale)), int(math.Round(x1*scale)), int(math.Round(y1*scale)))
}

// SquareOnPhoto is the side in photo pixels of a square of the given side
// (a fraction of the shorter side of the model's input) on tile t's photo,
// for drawing it while the pointer moves: the part of the photo the input
// covers, by its shorter side.
func SquareOnPhoto(t *display.Tile, side float64) float64 {
	c := t.Result.Geometry.Crop
	return side * math.Min(c.Dx(), c.Dy())
}
