package session

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"camscope/app/display"
	"camscope/app/explain"
	"camscope/app/faithfulness"
	"camscope/inference/preprocess"
)

// MapKey names one map shown: a result and the index of its class
// (cam.Class.Index).
type MapKey struct {
	Result *explain.Result
	Class  int
}

// KeyOf names tile t's map.
func KeyOf(t *display.Tile) MapKey { return MapKey{Result: t.Result, Class: t.Class.Index} }

// Measured is the outcome of measuring one map (Funcs.Measure). It is
// delivered on the measuring goroutine; the GUI hands it to
// Session.ApplyMeasured on its own.
type Measured struct {
	Gen    uint64
	Key    MapKey
	Scores faithfulness.Scores
	Err    error
	Took   time.Duration
}

// MapScores are a measured map's scores, or why it could not be measured.
type MapScores struct {
	Scores faithfulness.Scores
	Err    error
}

// MeasureMap is Funcs.Measure's real step: the faithfulness of map i of r,
// its class the target, on the model's input (r.Input, or the photo
// prepared again when the result has none): average drop, deletion and
// insertion in faithfulness.DefaultSteps steps (faithfulness.Evaluate's
// defaults), the forward passes spread over the cores
// (faithfulness.Runs).
func MeasureMap(ctx context.Context, r *explain.Result, i int) (faithfulness.Scores, error) {
	m := r.Model
	if m.Engine == nil {
		return faithfulness.Scores{}, fmt.Errorf("%s has no engine to run the masked photos through", m.Name)
	}
	x := r.Input
	if x == nil {
		var err error
		if x, _, err = preprocess.Prepare(r.Photo, m.Spec); err != nil {
			return faithfulness.Scores{}, err
		}
	}
	c := r.Classes[i]
	score := faithfulness.Runs(m.Engine, m.Explainer.Head.Logits, runtime.GOMAXPROCS(0))
	p, err := faithfulness.NewPhoto(ctx, score, x, m.Spec.Layout == preprocess.NHWC, c.Index)
	if err != nil {
		return faithfulness.Scores{}, err
	}
	w, h := m.InputSize()
	s, err := faithfulness.Place(c.Map, w, h)
	if err != nil {
		return faithfulness.Scores{}, err
	}
	return p.Evaluate(ctx, s, faithfulness.Options{})
}

// measurer measures maps on a goroutine of its own, one job (a list of
// maps) at a time: starting a job cancels the one in flight, which ends
// before the new one runs (two measurements never share the cores), and
// only the latest job's outcomes are delivered.
type measurer struct {
	measure func(ctx context.Context, r *explain.Result, i int) (faithfulness.Scores, error)

	mu      sync.Mutex
	deliver func(Measured)
	gen     uint64
	cancel  context.CancelFunc
	done    chan struct{} // closed when the latest job's goroutine ends
}

// start measures keys in order, cancelling the job in flight.
func (m *measurer) start(keys []MapKey) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cancel != nil {
		m.cancel()
	}
	m.gen++
	gen := m.gen
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	prev := m.done
	done := make(chan struct{})
	m.done = done
	go func() {
		defer close(done)
		defer cancel()
		if prev != nil {
			<-prev
		}
		for _, k := range keys {
			if ctx.Err() != nil {
				return
			}
			out := Measured{Gen: gen, Key: k}
			start := time.Now()
			if i := slices.IndexFunc(k.Result.Classes, func(c explain.Explained) bool { return c.Index == k.Class }); i >= 0 {
				out.Scores, out.Err = m.measure(ctx, k.Result, i)
			} else {
				out.Err = fmt.Errorf("class %d is not among the result's", k.Class)
			}
			out.Took = time.Since(start)
			if ctx.Err() != nil {
				return
			}
			m.mu.Lock()
			current, deliver := m.gen == gen, m.deliver
			m.mu.Unlock()
			if current && deliver != nil {
				deliver(out)
			}
		}
	}()
}

// listening reports whether outcomes have somewhere to go.
func (m *measurer) listening() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.deliver != nil
}

// stop cancels the job in flight; its outcomes are dropped.
func (m *measurer) stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cancel != nil {
		m.cancel()
	}
	m.gen++
}

// current reports whether gen is the latest job's.
func (m *measurer) current(gen uint64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.gen == gen
}

// wait blocks until the latest job's goroutine has ended.
func (m *measurer) wait() {
	m.mu.Lock()
	done := m.done
	m.mu.Unlock()
	if done != nil {
		<-done
	}
}

// OnMeasured sets where measurements go: deliver is called on the
// measuring goroutine with each outcome that may be shown; the GUI hands
// it to ApplyMeasured on its own goroutine. Without it nothing is
// measured.
func (s *Session) OnMeasured(deliver func(Measured)) {
	s.meter.mu.Lock()
	s.meter.deliver = deliver
	s.meter.mu.Unlock()
}

// SetLargeView says which tile the large view shows (nil: none). Its map
// is measured first, after the maps are shown and off the GUI goroutine
// (see Measuring).
func (s *Session) SetLargeView(t *display.Tile) {
	if t == nil {
		s.large = nil
	} else {
		k := KeyOf(t)
		s.large = &k
	}
	s.remeasure()
}

// Measuring are the maps whose faithfulness the window shows, in the order
// they are measured: the large view's, then in the compare-methods view
// each row's first map (its most probable class: the rows share their
// classes). Each is measured once per result.
func (s *Session) Measuring() []MapKey {
	var keys []MapKey
	if s.large != nil {
		keys = append(keys, *s.large)
	}
	if s.methods != nil {
		for _, r := range s.results {
			if len(r.Classes) > 0 {
				if k := (MapKey{Result: r, Class: r.Classes[0].Index}); !slices.Contains(keys, k) {
					keys = append(keys, k)
				}
			}
		}
	}
	return keys
}

// remeasure starts measuring the maps of Measuring not measured yet,
// unless the job in flight measures just those; it stops the job when
// none is left.
func (s *Session) remeasure() {
	if !s.meter.listening() {
		return
	}
	todo := s.unmeasured(s.Measuring())
	if slices.Equal(todo, s.unmeasured(s.inFlight)) {
		return
	}
	s.inFlight = todo
	if len(todo) == 0 {
		s.meter.stop()
		return
	}
	s.meter.start(todo)
}

// unmeasured are the keys without scores yet.
func (s *Session) unmeasured(keys []MapKey) []MapKey {
	var out []MapKey
	for _, k := range keys {
		if _, ok := s.measured[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}

// stopMeasuring cancels the measurement in flight: a new request makes
// its maps stale.
func (s *Session) stopMeasuring() {
	s.meter.stop()
	s.inFlight = nil
}

// forgetMeasured drops the scores of results no longer shown.
func (s *Session) forgetMeasured() {
	for k := range s.measured {
		if !slices.Contains(s.results, k.Result) {
			delete(s.measured, k)
		}
	}
	if s.large != nil && !slices.Contains(s.results, s.large.Result) {
		s.large = nil
	}
}

// ApplyMeasured takes a measurement into the session. It reports false,
// changing nothing, for one that is stale: of a job since replaced, or of
// a result no longer shown.
func (s *Session) ApplyMeasured(m Measured) bool {
	if !s.meter.current(m.Gen) || !slices.Contains(s.results, m.Key.Result) {
		return false
	}
	if s.measured == nil {
		s.measured = map[MapKey]MapScores{}
	}
	s.measured[m.Key] = MapScores{Scores: m.Scores, Err: m.Err}
	return true
}

// Scores are map k's scores; ok is false while it is not measured.
func (s *Session) Scores(k MapKey) (sc MapScores, ok bool) {
	sc, ok = s.measured[k]
	return sc, ok
}

// RowScore is one compare-methods row's scores, as the row shows them.
type RowScore struct {
	Key      MapKey
	Measured bool
	MapScores
	// The row's value of each metric is the best of the rows' (lowest
	// deletion AUC and average drop, highest insertion AUC); set only once
	// every row is measured.
	BestDeletion, BestInsertion, BestDrop bool
}

// RowScores are the compare-methods rows' scores, one per row in order,
// or nil in the other views.
func (s *Session) RowScores() []RowScore {
	if s.methods == nil {
		return nil
	}
	rows := make([]RowScore, len(s.results))
	all := true
	for i, r := range s.results {
		if len(r.Classes) == 0 {
			all = false
			continue
		}
		rows[i].Key = MapKey{Result: r, Class: r.Classes[0].Index}
		rows[i].MapScores, rows[i].Measured = s.Scores(rows[i].Key)
		sc := rows[i].Scores
		all = all && rows[i].Measured && rows[i].Err == nil && sc.Deletion != nil && sc.Insertion != nil && sc.Confidence != nil
	}
	if !all || len(rows) < 2 {
		return rows
	}
	best := func(v func(faithfulness.Scores) float64, lower bool, mark func(*RowScore)) {
		b := v(rows[0].Scores)
		for _, r := range rows[1:] {
			if x := v(r.Scores); (lower && x < b) || (!lower && x > b) {
				b = x
			}
		}
		for i := range rows {
			if v(rows[i].Scores) == b {
				mark(&rows[i])
			}
		}
	}
	best(func(sc faithfulness.Scores) float64 { return sc.Deletion.AUC }, true, func(r *RowScore) { r.BestDeletion = true })
	best(func(sc faithfulness.Scores) float64 { return sc.Insertion.AUC }, false, func(r *RowScore) { r.BestInsertion = true })
	best(func(sc faithfulness.Scores) float64 { return sc.Confidence.Drop }, true, func(r *RowScore) { r.BestDrop = true })
	return rows
}
