// Package session is the desktop app without its widgets: the Session that
// owns the app's state (photo, models, request, view, results) and its
// decisions (what applies to a model, cancel-on-new-request, no stale
// result), the job runner that explains a photo with one or more models off
// the GUI's goroutine, and the model and photo the app starts with. It
// imports no GUI toolkit; package ui shows a Session and forwards what
// people do to it.
package session

import (
	"context"
	"errors"
	"fmt"
	"image"
	"sync"
	"time"

	"camscope/app/display"
	"camscope/app/explain"
	"camscope/app/faithfulness"
	"camscope/app/photo"
	"camscope/inference/cam"
)

// MaxModels bounds a comparison: one row per model.
const MaxModels = 4

// Job says what to explain. Paths are loaded by the runner (off the UI
// goroutine); already loaded inputs are used as they are.
type Job struct {
	PhotoPath  string       // load this photo; "" uses Photo
	Photo      *photo.Photo // the photo when PhotoPath is ""
	ModelPaths []string     // load these models (cached by path) and append them to Models
	Models     []*explain.Model
	// Default loads a default model when no model is given: for a photo
	// the user opened (PhotoPath), Funcs.PhotoModel; otherwise (the sample
	// scene) Funcs.DefaultModel. Finding none is not an error (the outcome
	// then has no models).
	Default bool
	// Builtin, when set and no model is given, is the model to load (a
	// built-in one, chosen by the user or for a shipped photo) instead of
	// the default; the outcome is Defaulted only if Default is set too.
	Builtin func() (*explain.Model, error)
	Request explain.Request
	// SameClasses makes every row after the first explain the first row's
	// classes instead of its own top k: by index, or by label between
	// models of different class lists (see sameClasses).
	SameClasses bool
	// Methods, when set, make the rows methods instead of models: the first
	// model is explained once per method (CAM left out where it does not
	// apply), every row with the first row's classes.
	Methods []explain.Method
	// View, when its Colormap is set, has the runner also prepare the
	// Scene (display-sized photo and heats) off the UI goroutine.
	View        display.View
	DisplaySide int // 0 is display.DisplaySide
}

// Outcome is what a job produced. Photo and Models are set as far as they
// loaded, even when Err is not nil, so that a failed run still says what
// it ran on.
type Outcome struct {
	Gen       uint64
	Photo     *photo.Photo
	PhotoPath string
	Models    []*explain.Model
	// Defaulted says that Models is a default the runner chose (Job.Default)
	// rather than models the user opened.
	Defaulted bool
	Request   explain.Request // the job's request as run: Grad-CAM when CAM does not apply
	// Methods and SameClasses are the job's.
	Methods     []explain.Method
	SameClasses bool
	// ClassNotes say, for the same classes, how rows with another class
	// list were matched, or why they show their own classes.
	ClassNotes []string
	Results    []*explain.Result // one per model, in order
	Scene      *display.Scene    // the results prepared as Job.View says
	View       display.View      // the view the scene was prepared for
	Err        error
	Took       time.Duration
	// Partial marks a report of progress while the job runs: only Gen and
	// Progress are set.
	Partial  bool
	Progress Progress
}

// Progress is how far a job of several rows, or a slow method, is.
type Progress struct {
	Row, Rows int    // explaining row Row (from 1) of Rows
	Name      string // the row's model or method
	// Done of Total forward passes of a method that runs many (Score-CAM);
	// 0 of 0 otherwise.
	Done, Total int
}

// passProgress reports a slow method's passes as at's Done and Total, at
// most once per percent so that the window is not flooded.
func passProgress(at Progress, progress func(Progress)) func(done, total int) {
	last := -1
	return func(done, total int) {
		if pct := done * 100 / max(total, 1); pct != last {
			last = pct
			at.Done, at.Total = done, total
			progress(at)
		}
	}
}

// Funcs are the runner's steps; tests replace them with fakes.
type Funcs struct {
	// LoadPhoto and LoadModel give up with ctx's error when ctx is done;
	// the runner does not wait for them once it is (see abandonable).
	LoadPhoto func(ctx context.Context, path string) (*photo.Photo, error)
	LoadModel func(ctx context.Context, path string) (*explain.Model, error)
	Explain   func(ctx context.Context, m *explain.Model, img *image.RGBA, req explain.Request) (*explain.Result, error)
	// DefaultModel returns the model to start with, or ErrNoModel; and
	// PhotoModel the model for a photo the user opens without choosing
	// one (nil: DefaultModel).
	DefaultModel func() (*explain.Model, error)
	PhotoModel   func() (*explain.Model, error)
	// LayerMaps computes the layer scrubber's maps (explain.LayerMaps).
	LayerMaps func(ctx context.Context, m *explain.Model, img *image.RGBA, method explain.Method, layers []string, class int) ([]cam.Map, error)
	// Measure computes the faithfulness scores of map i of a result shown;
	// nil is MeasureMap.
	Measure func(ctx context.Context, r *explain.Result, i int) (faithfulness.Scores, error)
}

// DefaultFuncs are the real steps.
func DefaultFuncs() Funcs {
	return Funcs{
		LoadPhoto:    photo.LoadContext,
		LoadModel:    loadModel,
		Explain:      explain.Photo,
		DefaultModel: DefaultModel,
		PhotoModel:   PhotoModel,
		LayerMaps:    explain.LayerMaps,
	}
}

// Runner runs one job at a time. Submitting a job cancels the one in
// flight; only the outcome of the latest job is delivered, so a stale
// result never reaches the screen. Deliver is called on the runner's own
// goroutine: a GUI must hop to its UI goroutine and there check Current
// again, since a newer job may have been submitted in between.
type Runner struct {
	funcs   Funcs
	deliver func(Outcome)

	mu     sync.Mutex
	gen    uint64
	cancel context.CancelFunc
	done   chan struct{} // closed when the latest job's goroutine ends
	models *modelCache
}

// NewRunner returns a runner that hands outcomes to deliver. It keeps the
// models it loaded in a bounded cache (see modelCacheBytes).
func NewRunner(f Funcs, deliver func(Outcome)) *Runner {
	return &Runner{funcs: f, deliver: deliver, models: newModelCache(modelCacheBytes, modelCacheModels, modelBytes)}
}

// Submit starts job, cancelling any job in flight, and returns its
// generation. Jobs never run concurrently: the new one waits until the
// cancelled one has stopped, so two cores are never shared by two runs. A
// cancelled job stops at once even in a load: the load is abandoned (see
// abandonable) and ends by itself at its next look at its context.
func (r *Runner) Submit(job Job) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancel != nil {
		r.cancel()
	}
	r.gen++
	gen := r.gen
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	prev := r.done
	done := make(chan struct{})
	r.done = done
	go func() {
		defer close(done)
		defer cancel()
		if prev != nil {
			<-prev
		}
		if ctx.Err() != nil {
			return
		}
		out := r.run(ctx, job, func(p Progress) { r.deliverIfCurrent(Outcome{Gen: gen, Partial: true, Progress: p}) })
		out.Gen = gen
		r.deliverIfCurrent(out)
	}()
	return gen
}

// deliverIfCurrent delivers o unless a newer job was submitted.
func (r *Runner) deliverIfCurrent(o Outcome) {
	r.mu.Lock()
	current := r.gen == o.Gen
	r.mu.Unlock()
	if current {
		r.deliver(o)
	}
}

// Cancel stops the job in flight; its outcome is dropped.
func (r *Runner) Cancel() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancel != nil {
		r.cancel()
	}
	r.gen++
}

// Current reports whether gen is the latest job's generation.
func (r *Runner) Current(gen uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gen == gen
}

// Wait blocks until the latest job's goroutine has ended.
func (r *Runner) Wait() {
	r.mu.Lock()
	done := r.done
	r.mu.Unlock()
	if done != nil {
		<-done
	}
}

// Model returns the model at path from the cache, or loads and caches it.
// When ctx is done it returns ctx's error at once, without waiting for the
// load (see abandonable).
func (r *Runner) Model(ctx context.Context, path string) (*explain.Model, error) {
	if m, ok := r.models.get(path); ok {
		return m, nil
	}
	return abandonable(ctx, func(ctx context.Context) (*explain.Model, error) {
		m, err := r.funcs.LoadModel(ctx, path)
		if err != nil {
			return nil, err
		}
		r.models.put(path, m)
		return m, nil
	})
}

// abandonable runs load on a goroutine of its own and returns its result,
// or ctx's error as soon as ctx is done: a job whose load became stale
// ends at once, and the next job starts without waiting for it. The load
// itself stops at its next look at ctx (the engine looks between
// operators); what it returns then is dropped.
func abandonable[T any](ctx context.Context, load func(context.Context) (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := load(ctx)
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// run does job, reporting each row before it is explained when there are
// several.
func (r *Runner) run(ctx context.Context, job Job, progress func(Progress)) (out Outcome) {
	start := time.Now()
	defer func() { out.Took = time.Since(start) }()
	out.Photo, out.PhotoPath = job.Photo, job.PhotoPath
	// A photo that does not open still lets the models load, so that a bad
	// photo does not also drop a good model (Session.Apply keeps them).
	var photoErr error
	if job.PhotoPath != "" {
		p, err := abandonable(ctx, func(ctx context.Context) (*photo.Photo, error) { return r.funcs.LoadPhoto(ctx, job.PhotoPath) })
		switch {
		case ctx.Err() != nil:
			out.Err = ctx.Err()
			return out
		case err != nil:
			photoErr = err
			out.Photo = nil
		default:
			out.Photo = p
		}
	}
	out.Models = append([]*explain.Model(nil), job.Models...)
	for _, path := range job.ModelPaths {
		m, err := r.Model(ctx, path)
		if ctx.Err() != nil {
			out.Err = ctx.Err()
			return out
		}
		if err != nil {
			out.Err = fmt.Errorf("%w\n\n%s", err, modelHint(err))
			return out
		}
		out.Models = append(out.Models, m)
		if ctx.Err() != nil {
			out.Err = ctx.Err()
			return out
		}
	}
	if len(out.Models) == 0 && (job.Default || job.Builtin != nil) {
		def := job.Builtin
		if def == nil {
			def = r.funcs.DefaultModel
			if job.PhotoPath != "" && r.funcs.PhotoModel != nil {
				def = r.funcs.PhotoModel
			}
		}
		if def != nil {
			m, err := def()
			if err != nil && !errors.Is(err, ErrNoModel) {
				out.Err = err
				return out
			}
			if m != nil {
				out.Models, out.Defaulted = []*explain.Model{m}, job.Default
			}
		}
	}
	if photoErr != nil {
		out.Err = photoErr
		return out
	}
	if len(out.Models) > MaxModels {
		out.Models = out.Models[len(out.Models)-MaxModels:]
	}
	out.Request = job.Request
	out.Methods, out.SameClasses = job.Methods, job.SameClasses
	out.Request.Layer = LayerApplies(out.Models, out.Request.Layer)
	if !applies(out.Request.Method, out.Models, out.Request.Layer) {
		// Every row is explained alike; the window then offers every
		// method but CAM (or attention rollout), with the reason.
		out.Request.Method = cam.GradCAM
	}
	if out.Photo == nil || len(out.Models) == 0 {
		return out
	}
	rows := jobRows(out, job.Methods)
	for i, row := range rows {
		req := row.req
		if i > 0 && (job.Methods != nil || job.SameClasses) && len(out.Results) > 0 {
			classes, ok, note := sameClasses(out.Models[0], row.m, out.Results[0].Classes)
			if ok {
				req.TopK, req.Classes = 0, classes
			}
			if note != "" {
				out.ClassNotes = append(out.ClassNotes, note)
			}
		}
		req.Classes = validClasses(req.Classes, row.m.NumClasses())
		if req.TopK == 0 && len(req.Classes) == 0 {
			req.TopK = explain.DefaultTopK
		}
		at := Progress{Row: i + 1, Rows: len(rows), Name: row.name}
		if len(rows) > 1 {
			progress(at)
		}
		req.Progress = passProgress(at, progress)
		res, err := r.funcs.Explain(ctx, row.m, out.Photo.Image, req)
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				err = fmt.Errorf("%s could not explain the photo: %w", row.m.Name, err)
			}
			out.Err = err
			return out
		}
		if i > 0 && job.Methods != nil {
			sameRanks(res, out.Results[0])
		}
		out.Results = append(out.Results, res)
	}
	if job.View.Colormap != nil {
		side := job.DisplaySide
		if side == 0 {
			side = display.DisplaySide
		}
		out.Scene = display.NewScene(out.Photo.Image, out.Results, job.View, side)
		out.View = job.View
	}
	return out
}

// row is one row of tiles to explain.
type row struct {
	m    *explain.Model
	req  explain.Request
	name string // the model's, or the method's in the compare-methods view (for Progress)
}

// rows are the rows of out's job: one per model, or with methods one per
// method (CAM and attention rollout left out where they do not apply) of
// the first model.
func jobRows(out Outcome, methods []explain.Method) []row {
	var rows []row
	if methods == nil {
		for _, m := range out.Models {
			rows = append(rows, row{m: m, req: out.Request, name: m.Name})
		}
		return rows
	}
	first := out.Models[:1]
	for _, method := range methods {
		if !applies(method, first, out.Request.Layer) {
			continue
		}
		req := out.Request
		req.Method = method
		rows = append(rows, row{m: first[0], req: req, name: MethodName(method)})
	}
	if len(rows) == 0 {
		rows = append(rows, row{m: first[0], req: out.Request, name: MethodName(out.Request.Method)})
	}
	return rows
}

// sameRanks gives res's classes the ranks they have in first: a method's
// row explains the first row's classes by index, which makes them added
// classes (rank 0) of its own.
func sameRanks(res, first *explain.Result) {
	rank := map[int]int{}
	for _, c := range first.Classes {
		rank[c.Index] = c.Rank
	}
	for i := range res.Classes {
		if r, ok := rank[res.Classes[i].Index]; ok {
			res.Classes[i].Rank = r
		}
	}
}

// validClasses drops searched classes that another model does not have.
func validClasses(classes []int, n int) []int {
	var out []int
	for _, k := range classes {
		if k >= 0 && k < n {
			out = append(out, k)
		}
	}
	return out
}
