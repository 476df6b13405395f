package ui

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"fyne.io/fyne/v2/test"

	"camscope/app/explain"
	"camscope/app/faithfulness"
	"camscope/app/session"
	"camscope/app/session/sessiontest"
)

// measuredRows counts the compare-methods rows whose scores are shown.
func measuredRows(h *harness) int {
	n := 0
	for _, l := range h.rowScores {
		if strings.Contains(l.Text, "Deletion") {
			n++
		}
	}
	return n
}

// The large view says its map is being measured, then shows the curves
// and the scores the session measured (the stand-in's), without the
// window waiting for them.
func TestLargeViewScores(t *testing.T) {
	h := experimentHarness(t)
	d := h.detail
	if !strings.Contains(d.metrics.text.Text, "Measuring") || len(d.metrics.plot.Curves) != 0 {
		t.Errorf("before the scores: %q, %d curves", d.metrics.text.Text, len(d.metrics.plot.Curves))
	}
	h.runUntil(t, "scores", func() bool { return len(d.metrics.plot.Curves) == 2 })
	tile := h.s.Scene().Tiles()[0]
	want, err := sessiontest.FixedMeasure(context.Background(), tile.Result, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		fmt.Sprintf("Deletion AUC %.3f", want.Deletion.AUC),
		fmt.Sprintf("Insertion AUC %.3f", want.Insertion.AUC),
		"Average drop " + fmt.Sprintf("%.1f%%", 100*want.Confidence.Drop),
		tile.Class.Label,
	} {
		if !strings.Contains(d.metrics.text.Text, s) {
			t.Errorf("the scores %q lack %q", d.metrics.text.Text, s)
		}
	}
	del, ins := d.metrics.plot.Curves[0], d.metrics.plot.Curves[1]
	if del.Name != "Deletion" || ins.Name != "Insertion" || len(del.Y) != faithfulness.DefaultSteps+1 || del.Y[0] != want.Deletion.Probs[0] || ins.Y[10] != want.Insertion.Probs[10] {
		t.Errorf("curves %s (%d points), %s", del.Name, len(del.Y), ins.Name)
	}
	fitsWindow(t, h, "large view with its scores")
}

// In presentation mode at 1024x768 the large view's scores need more
// height than the curves' plot beside them: they scroll within the plot's
// height and end above the hint under them, instead of running over it.
func TestLargeViewScoresStayInTheirPlacePresenting(t *testing.T) {
	h := experimentHarness(t)
	h.SetPresentation(true)
	d := h.detail
	h.runUntil(t, "scores", func() bool { return len(d.metrics.plot.Curves) == 2 })
	h.Window.SetContent(h.Window.Content())
	drv := h.fyne.Driver()
	sc := d.metrics.scroll
	if sc.Size().Height == 0 || sc.Content != d.metrics.text {
		t.Fatalf("the scores are not shown in their scroll (height %v)", sc.Size().Height)
	}
	need := d.metrics.text.MinSize().Height
	if need <= sc.Size().Height {
		t.Fatalf("the scores need %v of height and have %v: this case no longer tests a window small for them", need, sc.Size().Height)
	}
	if sc.Size().Height > d.metrics.plot.Size().Height+1 {
		t.Errorf("the scores take %v of height, the plot beside them %v", sc.Size().Height, d.metrics.plot.Size().Height)
	}
	if end, hint := drv.AbsolutePositionForObject(sc).Y+sc.Size().Height, drv.AbsolutePositionForObject(d.value).Y; end > hint+1 {
		t.Errorf("the scores end at y=%v, below the top of the hint under them (y=%v)", end, hint)
	}
	fitsWindow(t, h, "large view with its scores, presenting")
}

// Leaving the large view cancels its map's measurement; a measurement
// that ends late for another tile never shows on this one.
func TestLargeViewScoresCancelled(t *testing.T) {
	started, cancelled, release := make(chan int, 4), make(chan struct{}, 4), make(chan struct{})
	f := session.DefaultFuncs()
	f.Explain = sessiontest.FixedExplain
	f.Measure = func(ctx context.Context, r *explain.Result, i int) (faithfulness.Scores, error) {
		started <- i
		if i == 0 {
			<-ctx.Done()
			cancelled <- struct{}{}
			return faithfulness.Scores{}, ctx.Err()
		}
		if i == 1 {
			<-release // ends after the large view moved on, whatever its context says
		}
		return sessiontest.FixedMeasure(ctx, r, i)
	}
	h := newHarness(t, Options{ImagePath: catPhoto, ModelPaths: []string{mobileV2}, Funcs: f})
	h.Start()
	if o := h.wait(t); o.Err != nil {
		t.Fatal(o.Err)
	}
	h.OpenDetail(0)
	if i := <-started; i != 0 {
		t.Fatalf("measuring map %d, want 0", i)
	}
	h.closeDetail()
	<-cancelled
	h.OpenDetail(1)
	<-started
	h.OpenDetail(2)
	close(release)
	h.runUntil(t, "scores of tile 3", func() bool { return len(h.detail.metrics.plot.Curves) == 2 })
	want, _ := sessiontest.FixedMeasure(context.Background(), h.s.Scene().Tiles()[2].Result, 2)
	if s := fmt.Sprintf("Deletion AUC %.3f", want.Deletion.AUC); !strings.Contains(h.detail.metrics.text.Text, s) || h.detail.index != 2 {
		t.Errorf("tile %d's scores %q, want %q", h.detail.index+1, h.detail.metrics.text.Text, s)
	}
	h.s.Wait()
	h.drain()
	if _, ok := h.s.Scores(session.KeyOf(h.s.Scene().Tiles()[1])); ok {
		t.Error("tile 2's measurement, ended after its large view closed, was kept")
	}
}

// The compare-methods rows show each method's scores of the row's first
// map, the best row of each metric marked.
func TestCompareRowsScores(t *testing.T) {
	h := builtinHarness(t, nil)
	h.SetCompareMethods(h.s.DefaultCompareMethods())
	if o := h.wait(t); o.Err != nil {
		t.Fatal(o.Err)
	}
	if len(h.rowScores) != 5 {
		t.Fatalf("%d rows' scores, want one per method", len(h.rowScores))
	}
	h.runUntil(t, "the rows' scores", func() bool { return measuredRows(h) == 5 })
	best := map[string]int{}
	for _, l := range h.rowScores {
		for _, line := range strings.Split(l.Text, "\n") {
			if name, _, ok := strings.Cut(line, " "); ok && strings.HasSuffix(line, "(best)") {
				best[name]++
			}
		}
	}
	// The stand-in: LayerCAM's curves are the sharpest, and its drop the
	// smallest.
	if best["Deletion"] != 1 || best["Insertion"] != 1 || best["Avg"] != 1 || strings.Count(h.rowScores[3].Text, "(best)") != 3 {
		t.Errorf("best marks %v; LayerCAM's row %q", best, h.rowScores[3].Text)
	}
	test.Tap(h.tiles[0])
	if !strings.Contains(h.detail.metrics.text.Text, "Deletion AUC") {
		t.Errorf("the large view of a row's first map, already measured: %q", h.detail.metrics.text.Text)
	}
}

// In the compare-methods view the rows' measurement runs behind the
// controls: a look changes at once while it runs, and another photo
// cancels it; the new rows are measured afresh.
func TestCompareRowsMeasuringCancelled(t *testing.T) {
	started, cancelled := make(chan struct{}, 16), make(chan struct{}, 16)
	var block atomic.Bool
	block.Store(true)
	f := session.DefaultFuncs()
	f.Explain = sessiontest.FixedExplain
	f.Measure = func(ctx context.Context, r *explain.Result, i int) (faithfulness.Scores, error) {
		started <- struct{}{}
		if block.Load() {
			<-ctx.Done()
			cancelled <- struct{}{}
			return faithfulness.Scores{}, ctx.Err()
		}
		return sessiontest.FixedMeasure(ctx, r, i)
	}
	h := newHarness(t, Options{ImagePath: catPhoto, ModelPaths: []string{mobileV2}, Funcs: f, CompareMethods: true})
	h.Start()
	if o := h.wait(t); o.Err != nil {
		t.Fatal(o.Err)
	}
	<-started
	h.SetOpacity(0.2)
	if h.c.opValue.Text != "20%" || !strings.Contains(h.rowScores[0].Text, "Measuring") {
		t.Errorf("while measuring: opacity %q, the first row %q", h.c.opValue.Text, h.rowScores[0].Text)
	}
	block.Store(false)
	h.OpenPhoto(dogPhoto)
	<-cancelled
	if o := h.wait(t); o.Err != nil {
		t.Fatal(o.Err)
	}
	h.runUntil(t, "the new rows' scores", func() bool { return measuredRows(h) == len(h.rowScores) })
	if len(h.rowScores) != 5 {
		t.Errorf("%d rows' scores", len(h.rowScores))
	}
}
