package session

import (
	"context"
	"errors"
	"image"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"camscope/app/display"
	"camscope/app/explain"
	"camscope/app/photo"
	"camscope/inference/cam"
	"camscope/inference/preprocess"
)

// fake is a runner whose explain step blocks until released (or cancelled)
// and whose results say which photo they were computed for.
type fake struct {
	started chan string   // photo name, when an explain starts
	release chan struct{} // one value lets one explain finish
	running atomic.Int32
	maxRun  atomic.Int32
	// deaf makes explain ignore cancellation, as a long kernel that does
	// not look at its context would.
	deaf bool
}

func newFake() *fake {
	return &fake{started: make(chan string, 16), release: make(chan struct{}, 16)}
}

func (f *fake) funcs() Funcs {
	return Funcs{
		LoadPhoto: func(_ context.Context, path string) (*photo.Photo, error) {
			if path == "bad.png" {
				return nil, errors.New("bad.png is not an image")
			}
			return &photo.Photo{Name: path, Image: image.NewRGBA(image.Rect(0, 0, 4, 3))}, nil
		},
		LoadModel: func(_ context.Context, path string) (*explain.Model, error) {
			return nil, errors.New("cannot load " + path)
		},
		Explain: func(ctx context.Context, m *explain.Model, img *image.RGBA, req explain.Request) (*explain.Result, error) {
			n := f.running.Add(1)
			defer f.running.Add(-1)
			for {
				old := f.maxRun.Load()
				if n <= old || f.maxRun.CompareAndSwap(old, n) {
					break
				}
			}
			f.started <- m.Name
			done := ctx.Done()
			if f.deaf {
				done = nil
			}
			select {
			case <-done:
				return nil, ctx.Err()
			case <-f.release:
				return &explain.Result{Model: m, Photo: img, Request: req}, nil
			}
		},
	}
}

type collector struct {
	mu       sync.Mutex
	out      []Outcome
	progress []Progress // the partial outcomes' reports, kept apart
	ch       chan Outcome
}

func newCollector() *collector { return &collector{ch: make(chan Outcome, 16)} }

func (c *collector) deliver(o Outcome) {
	c.mu.Lock()
	if o.Partial {
		c.progress = append(c.progress, o.Progress)
		c.mu.Unlock()
		return
	}
	c.out = append(c.out, o)
	c.mu.Unlock()
	c.ch <- o
}

func (c *collector) next(t *testing.T) Outcome {
	t.Helper()
	select {
	case o := <-c.ch:
		return o
	case <-time.After(10 * time.Second):
		t.Fatal("no outcome delivered")
	}
	return Outcome{}
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.out)
}

func model(name string) *explain.Model {
	return &explain.Model{Name: name, Explainer: &cam.Explainer{Head: &cam.Head{NumClasses: 10}}}
}

func job(photoPath, modelName string) Job {
	return Job{PhotoPath: photoPath, Models: []*explain.Model{model(modelName)}, Request: explain.Request{TopK: 3}}
}

func TestRunnerDelivers(t *testing.T) {
	f, c := newFake(), newCollector()
	r := NewRunner(f.funcs(), c.deliver)
	gen := r.Submit(job("cat.png", "m"))
	f.release <- struct{}{}
	o := c.next(t)
	if o.Err != nil || o.Gen != gen || len(o.Results) != 1 || o.Photo.Name != "cat.png" {
		t.Fatalf("outcome %+v", o)
	}
	if !r.Current(gen) {
		t.Error("the only job is not current")
	}
}

func TestRunnerNewJobCancelsOld(t *testing.T) {
	f, c := newFake(), newCollector()
	r := NewRunner(f.funcs(), c.deliver)
	r.Submit(job("old.png", "old"))
	if got := <-f.started; got != "old" {
		t.Fatalf("started %s", got)
	}
	gen := r.Submit(job("new.png", "new"))
	// The old run sees its context cancelled without being released; the
	// new one starts only after it stopped.
	if got := <-f.started; got != "new" {
		t.Fatalf("started %s", got)
	}
	f.release <- struct{}{}
	o := c.next(t)
	if o.Gen != gen || o.Photo.Name != "new.png" || o.Err != nil {
		t.Fatalf("outcome %+v", o)
	}
	r.Wait()
	if n := c.count(); n != 1 {
		t.Errorf("%d outcomes delivered, want 1 (the cancelled job's is dropped)", n)
	}
	if m := f.maxRun.Load(); m != 1 {
		t.Errorf("%d runs at once, want 1", m)
	}
}

func TestRunnerStaleResultDropped(t *testing.T) {
	f, c := newFake(), newCollector()
	f.deaf = true
	r := NewRunner(f.funcs(), c.deliver)
	old := r.Submit(job("old.png", "old"))
	<-f.started
	gen := r.Submit(job("new.png", "new"))
	// The old run ignores the cancellation and completes with a result
	// after the new job was submitted: it must not be delivered.
	f.release <- struct{}{}
	if got := <-f.started; got != "new" {
		t.Fatalf("started %s", got)
	}
	f.release <- struct{}{}
	o := c.next(t)
	r.Wait()
	if o.Gen != gen || o.Photo.Name != "new.png" || c.count() != 1 {
		t.Fatalf("delivered gen %d (old %d, new %d), %d outcomes", o.Gen, old, gen, c.count())
	}
	if r.Current(old) {
		t.Error("old generation still current")
	}
}

func TestRunnerErrors(t *testing.T) {
	tests := map[string]struct {
		job  Job
		want string
	}{
		"bad photo": {Job{PhotoPath: "bad.png", Models: []*explain.Model{model("m")}}, "bad.png is not an image"},
		"bad model": {Job{PhotoPath: "cat.png", ModelPaths: []string{"x.onnx"}}, "cannot load x.onnx"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f, c := newFake(), newCollector()
			r := NewRunner(f.funcs(), c.deliver)
			r.Submit(tc.job)
			o := c.next(t)
			if o.Err == nil || !contains(o.Err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", o.Err, tc.want)
			}
		})
	}
}

func TestRunnerExplainErrorNamesModel(t *testing.T) {
	c := newCollector()
	f := newFake().funcs()
	f.Explain = func(context.Context, *explain.Model, *image.RGBA, explain.Request) (*explain.Result, error) {
		return nil, errors.New("CAM does not apply")
	}
	r := NewRunner(f, c.deliver)
	r.Submit(job("cat.png", "squeezenet"))
	o := c.next(t)
	if o.Err == nil || !contains(o.Err.Error(), "squeezenet could not explain the photo: CAM does not apply") {
		t.Fatalf("error %v", o.Err)
	}
	if o.Photo == nil || len(o.Models) != 1 {
		t.Error("a failed run does not say what it ran on")
	}
}

func TestRunnerCancel(t *testing.T) {
	f, c := newFake(), newCollector()
	r := NewRunner(f.funcs(), c.deliver)
	gen := r.Submit(job("cat.png", "m"))
	<-f.started
	r.Cancel()
	r.Wait()
	if c.count() != 0 || r.Current(gen) {
		t.Fatalf("cancelled job delivered %d outcomes", c.count())
	}
}

func TestRunnerConcurrentSubmits(t *testing.T) {
	f, c := newFake(), newCollector()
	r := NewRunner(f.funcs(), c.deliver)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.Submit(job("p.png", string(rune('a'+i))))
		}()
	}
	wg.Wait()
	// Release every run that starts; only the last submitted may deliver.
	go func() {
		for range f.started {
			f.release <- struct{}{}
		}
	}()
	o := c.next(t)
	r.Wait()
	if !r.Current(o.Gen) || c.count() != 1 {
		t.Fatalf("gen %d current=%v, %d outcomes", o.Gen, r.Current(o.Gen), c.count())
	}
	if m := f.maxRun.Load(); m != 1 {
		t.Errorf("%d runs at once, want 1", m)
	}
}

func TestRunnerSameClasses(t *testing.T) {
	c := newCollector()
	f := newFake().funcs()
	var reqs []explain.Request
	f.Explain = func(_ context.Context, m *explain.Model, img *image.RGBA, req explain.Request) (*explain.Result, error) {
		reqs = append(reqs, req)
		res := &explain.Result{Model: m, Request: req}
		for _, k := range []int{7, 3} {
			res.Classes = append(res.Classes, explain.Explained{})
			res.Classes[len(res.Classes)-1].Index = k
		}
		return res, nil
	}
	r := NewRunner(f, c.deliver)
	a, b := model("a"), model("b")
	r.Submit(Job{PhotoPath: "p.png", Models: []*explain.Model{a, b}, Request: explain.Request{TopK: 2}, SameClasses: true})
	o := c.next(t)
	if o.Err != nil || len(o.Results) != 2 {
		t.Fatalf("outcome %+v", o)
	}
	if reqs[1].TopK != 0 || len(reqs[1].Classes) != 2 || reqs[1].Classes[0] != 7 {
		t.Errorf("second model asked %+v, want the first model's classes 7, 3", reqs[1])
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestRunnerPreparesScene(t *testing.T) {
	c := newCollector()
	f := newFake().funcs()
	f.Explain = func(_ context.Context, m *explain.Model, img *image.RGBA, req explain.Request) (*explain.Result, error) {
		r := result(img.Rect.Dx(), img.Rect.Dy(), []float32{0, 1, 2, 3})
		r.Model = m
		return r, nil
	}
	r := NewRunner(f, c.deliver)
	j := job("p.png", "m")
	j.View = display.DefaultView()
	r.Submit(j)
	o := c.next(t)
	if o.Err != nil || o.Scene == nil || len(o.Scene.Tiles()) != 1 || o.View.Colormap != j.View.Colormap {
		t.Fatalf("outcome %+v", o)
	}
}

// result is a fake explanation of a w x h photo whose maps (2x2) cover the
// whole photo.
func result(w, h int, maps ...[]float32) *explain.Result {
	r := &explain.Result{Photo: image.NewRGBA(image.Rect(0, 0, w, h)),
		Geometry: preprocess.Geometry{PhotoWidth: w, PhotoHeight: h, Width: w, Height: h, Crop: preprocess.Rect{X1: float64(w), Y1: float64(h)}}}
	for i, m := range maps {
		r.Classes = append(r.Classes, explain.Explained{Rank: i + 1, Map: cam.Map{W: 2, H: 2, Data: m}})
	}
	return r
}
