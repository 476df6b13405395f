package session

import (
	"context"
	"image"
	"runtime"
	"slices"
	"testing"

	"camscope/app/display"
	"camscope/app/explain"
	"camscope/app/faithfulness"
	"camscope/app/photo"
	"camscope/inference/cam"
	"camscope/inference/preprocess"
)

// meterHarness is a session whose maps have distinct classes (0, 1, 2)
// and whose measurements go to measured.
type meterHarness struct {
	*sessionHarness
	measured chan Measured
}

func newMeterSession(t *testing.T, measure func(ctx context.Context, r *explain.Result, i int) (faithfulness.Scores, error)) *meterHarness {
	t.Helper()
	h := &meterHarness{sessionHarness: &sessionHarness{out: make(chan Outcome, 16)}, measured: make(chan Measured, 16)}
	f := newFake().funcs()
	f.Explain = func(_ context.Context, m *explain.Model, img *image.RGBA, req explain.Request) (*explain.Result, error) {
		h.mu.Lock()
		h.reqs = append(h.reqs, req)
		h.mu.Unlock()
		r := result(img.Rect.Dx(), img.Rect.Dy(), []float32{0, 1, 2, 3}, []float32{3, 2, 1, 0}, []float32{0, 0, 0, 30})
		for i := range r.Classes {
			r.Classes[i].Index = i
		}
		r.Model, r.Request = m, req
		return r, nil
	}
	f.Measure = measure
	h.Session = New(f, display.DefaultView(), func(o Outcome) {
		if !o.Partial {
			h.out <- o
		}
	})
	h.OnMeasured(func(m Measured) { h.measured <- m })
	t.Cleanup(h.Close)
	return h
}

// next waits for the next measurement delivered.
func (h *meterHarness) next(t *testing.T) Measured {
	t.Helper()
	select {
	case m := <-h.measured:
		return m
	case o := <-h.out:
		t.Fatalf("an outcome (gen %d) came instead of a measurement", o.Gen)
	}
	return Measured{}
}

// methodScores stands in for Funcs.Measure: scores that depend on the
// method and the class, counted per map.
type methodScores struct {
	calls chan MapKey
}

func (f methodScores) measure(_ context.Context, r *explain.Result, i int) (faithfulness.Scores, error) {
	f.calls <- MapKey{r, r.Classes[i].Index}
	v := float64(slices.Index(cam.Methods(), r.Request.Method)+1) / 20
	return faithfulness.Scores{
		Deletion:   &faithfulness.Curve{AUC: v},
		Insertion:  &faithfulness.Curve{AUC: v + float64(i)},
		Confidence: &faithfulness.Confidence{Drop: 1 - v},
	}, nil
}

// The large view's map is measured with the real model and gives what
// app/faithfulness computes directly: average drop, deletion and insertion
// of the placed map, on the model's input, with the class as the target.
func TestMeasureLargeViewEqualsFaithfulness(t *testing.T) {
	m := builtin(t)
	out, measured := make(chan Outcome, 4), make(chan Measured, 4)
	s := New(DefaultFuncs(), display.DefaultView(), func(o Outcome) { out <- o })
	defer s.Close()
	s.OnMeasured(func(m Measured) { measured <- m })
	s.Submit(Job{Photo: SamplePhoto(), Models: []*explain.Model{m}})
	if o := (&collector{ch: out}).next(t); !s.Apply(o) || o.Err != nil {
		t.Fatalf("outcome %v", o.Err)
	}
	if len(s.Measuring()) != 0 {
		t.Errorf("measuring %v before the large view opened", s.Measuring())
	}
	tile := s.Scene().Tiles()[1]
	s.SetLargeView(tile)
	got := <-measured
	if !s.ApplyMeasured(got) || got.Err != nil || got.Key != KeyOf(tile) {
		t.Fatalf("measurement of %v: %v", got.Key, got.Err)
	}
	sc, ok := s.Scores(KeyOf(tile))
	if !ok {
		t.Fatal("no scores after the measurement was applied")
	}

	r := tile.Result
	score := faithfulness.Runs(m.Engine, m.Explainer.Head.Logits, runtime.GOMAXPROCS(0))
	p, err := faithfulness.NewPhoto(context.Background(), score, r.Input, m.Spec.Layout == preprocess.NHWC, tile.Class.Index)
	if err != nil {
		t.Fatal(err)
	}
	w, h := m.InputSize()
	sal, err := faithfulness.Place(tile.Class.Map, w, h)
	if err != nil {
		t.Fatal(err)
	}
	del, err := p.Deletion(context.Background(), sal, faithfulness.DefaultSteps)
	if err != nil {
		t.Fatal(err)
	}
	ins, err := p.Insertion(context.Background(), sal, faithfulness.DefaultSteps)
	if err != nil {
		t.Fatal(err)
	}
	conf, err := p.Confidence(context.Background(), sal)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Scores.Deletion == nil || sc.Scores.Insertion == nil || sc.Scores.Confidence == nil {
		t.Fatalf("scores %+v lack a metric", sc.Scores)
	}
	if !slices.Equal(sc.Scores.Deletion.Probs, del.Probs) || sc.Scores.Deletion.AUC != del.AUC || len(del.Probs) != faithfulness.DefaultSteps+1 {
		t.Errorf("deletion %v (AUC %v), want %v (AUC %v)", sc.Scores.Deletion.Probs, sc.Scores.Deletion.AUC, del.Probs, del.AUC)
	}
	if !slices.Equal(sc.Scores.Insertion.Probs, ins.Probs) || sc.Scores.Insertion.AUC != ins.AUC {
		t.Errorf("insertion %v (AUC %v), want %v (AUC %v)", sc.Scores.Insertion.Probs, sc.Scores.Insertion.AUC, ins.Probs, ins.AUC)
	}
	if *sc.Scores.Confidence != conf {
		t.Errorf("confidence %+v, want %+v", *sc.Scores.Confidence, conf)
	}

	// Closing and opening the large view again measures nothing again.
	gen := s.meter.gen
	s.SetLargeView(nil)
	s.SetLargeView(tile)
	if s.meter.gen != gen {
		t.Errorf("a measured map is measured again (job %d after %d)", s.meter.gen, gen)
	}
}

// A new request (here more classes) cancels the measurement in flight,
// whose outcome is never delivered.
func TestMeasureCancelledByNewRequest(t *testing.T) {
	started, cancelled := make(chan MapKey, 4), make(chan struct{}, 4)
	h := newMeterSession(t, func(ctx context.Context, r *explain.Result, i int) (faithfulness.Scores, error) {
		started <- MapKey{r, r.Classes[i].Index}
		<-ctx.Done()
		cancelled <- struct{}{}
		return faithfulness.Scores{}, ctx.Err()
	})
	h.Submit(Job{PhotoPath: "p.png", Models: []*explain.Model{camModel("a")}})
	h.apply(t)
	tile := h.Scene().Tiles()[2]
	h.SetLargeView(tile)
	if k := <-started; k != KeyOf(tile) {
		t.Fatalf("measuring %v, want the large view's %v", k, KeyOf(tile))
	}
	h.SetTopK(4)
	<-cancelled
	h.apply(t)
	h.Wait()
	select {
	case m := <-h.measured:
		t.Errorf("the cancelled measurement of %v was delivered", m.Key)
	default:
	}
	if _, ok := h.Scores(KeyOf(tile)); ok {
		t.Error("a stale map has scores")
	}
	if len(h.Measuring()) != 0 {
		t.Errorf("new results measure %v before a large view opened", h.Measuring())
	}
}

// A measurement that ends after the request changed, or one of a result
// no longer shown, is dropped.
func TestMeasureStaleDropped(t *testing.T) {
	release := make(chan struct{})
	h := newMeterSession(t, func(context.Context, *explain.Result, int) (faithfulness.Scores, error) {
		<-release // a step that does not look at its context
		return faithfulness.Scores{Deletion: &faithfulness.Curve{AUC: 0.5}}, nil
	})
	h.Submit(Job{PhotoPath: "p.png", Models: []*explain.Model{camModel("a")}})
	h.apply(t)
	old := h.Scene().Tiles()[0]
	h.SetLargeView(old)
	h.OpenPhoto("q.png")
	close(release)
	h.apply(t)
	h.Wait()
	select {
	case m := <-h.measured:
		t.Errorf("the stale measurement of %v was delivered", m.Key)
	default:
	}
	// Delivered all the same (a GUI that hopped goroutines late), it is
	// refused: its job was replaced, and its result is no longer shown.
	if h.ApplyMeasured(Measured{Gen: 1, Key: KeyOf(old)}) {
		t.Error("a measurement of a replaced job was applied")
	}
	tile := h.Scene().Tiles()[0]
	h.SetLargeView(tile)
	m := h.next(t)
	if m.Key != KeyOf(tile) {
		t.Fatalf("measured %v, want %v", m.Key, KeyOf(tile))
	}
	stale := m
	stale.Key = KeyOf(old)
	if h.ApplyMeasured(stale) {
		t.Error("a measurement of a result no longer shown was applied")
	}
	if !h.ApplyMeasured(m) {
		t.Error("the current measurement was refused")
	}
	if sc, ok := h.Scores(KeyOf(tile)); !ok || sc.Scores.Deletion.AUC != 0.5 {
		t.Errorf("scores %+v, %v", sc, ok)
	}
}

// The compare-methods view measures each row's first map, after the large
// view's, each once; the best row of each metric is marked once every row
// is measured.
func TestMeasureCompareRows(t *testing.T) {
	f := methodScores{calls: make(chan MapKey, 16)}
	h := newMeterSession(t, f.measure)
	h.Submit(Job{PhotoPath: "p.png", Models: []*explain.Model{camModel("a")}})
	h.apply(t)
	if h.RowScores() != nil {
		t.Error("row scores outside the compare-methods view")
	}
	h.SetCompareMethods([]explain.Method{cam.GradCAM, cam.LayerCAM, cam.EigenCAM})
	h.apply(t)
	want := make([]MapKey, 3)
	for i, r := range h.Results() {
		want[i] = MapKey{r, r.Classes[0].Index}
	}
	if got := h.Measuring(); !slices.Equal(got, want) {
		t.Fatalf("measuring %v, want each row's first map %v", got, want)
	}
	for range want {
		h.ApplyMeasured(h.next(t))
		rows := h.RowScores()
		if len(rows) != 3 {
			t.Fatalf("%d rows' scores", len(rows))
		}
		all := !slices.ContainsFunc(rows, func(r RowScore) bool { return !r.Measured })
		if marked := slices.ContainsFunc(rows, func(r RowScore) bool { return r.BestDeletion }); marked != all {
			t.Errorf("best marked %v with every row measured %v", marked, all)
		}
	}
	rows := h.RowScores()
	// methodScores: deletion and insertion grow with the method's place in
	// the menu, the drop falls.
	for i, r := range rows {
		if r.Key != want[i] || r.BestDeletion != (i == 0) || r.BestInsertion != (i == 2) || r.BestDrop != (i == 2) {
			t.Errorf("row %d: %+v", i+1, r)
		}
	}
	// The large view of another tile is measured first, the rows' maps
	// not again.
	tile := h.Scene().Rows[1][2]
	h.SetLargeView(tile)
	if m := h.next(t); m.Key != KeyOf(tile) {
		t.Errorf("measured %v, want the large view's %v", m.Key, KeyOf(tile))
	}
	close(f.calls)
	var calls []MapKey
	for k := range f.calls {
		calls = append(calls, k)
	}
	if !slices.Equal(calls, append(want, KeyOf(tile))) {
		t.Errorf("measured %v, want each map once", calls)
	}
}

// BenchmarkMeasureMap times the large view's measurement of one map with
// MobileNetV2 on cat.png (Grad-CAM, the top class): average drop, deletion
// and insertion, about a hundred forward passes.
func BenchmarkMeasureMap(b *testing.B) {
	p, err := photo.Load("../../../shared/images/cat.png")
	if err != nil {
		b.Fatal(err)
	}
	m, err := ImageNetModel("", preprocess.Options{})
	if err != nil {
		b.Fatal(err)
	}
	r, err := explain.Photo(context.Background(), m, p.Image, explain.Request{Method: explain.GradCAM, TopK: 1})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := MeasureMap(context.Background(), r, 0); err != nil {
			b.Fatal(err)
		}
	}
}
