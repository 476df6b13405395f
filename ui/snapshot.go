package ui

import (
	"errors"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"camscope/app/render"
	"camscope/app/session"
)

// SnapshotViews are what a snapshot can show: the grid, or the first
// tile's large view, occlusion experiment or layer scrubber.
var SnapshotViews = []string{"grid", "large", "occlusion", "layers"}

// Snapshot renders the real window for opts at size with Fyne's software
// driver (no display needed), waits up to timeout for the first result,
// opens view (one of SnapshotViews) and waits up to timeout again for
// what it shows (in the large view and the compare-methods rows, the
// faithfulness scores too, not "Measuring…"), and writes the window to
// path as a PNG (atomically).
func Snapshot(path string, opts Options, size fyne.Size, view string, timeout time.Duration) error {
	// The desktop driver, linked in, marks the main goroutine as its UI
	// thread; the software driver wants its calls made from any other one.
	errc := make(chan error, 1)
	go func() { errc <- snapshot(path, opts, size, view, timeout) }()
	return <-errc
}

func snapshot(path string, opts Options, size fyne.Size, view string, timeout time.Duration) error {
	fa := test.NewApp()
	defer fa.Quit()
	// This goroutine is the UI goroutine: the work the app sends there is
	// run here, in order, while waiting for what the snapshot shows.
	queue := make(chan func(), 256)
	opts.Do = func(f func()) { queue <- f }
	var first *session.Outcome
	opts.Shown = func(o session.Outcome) {
		if first == nil {
			first = &o
		}
	}
	a := New(fa, opts)
	a.Window.Resize(size)
	// Each step (the first result, then the view with what it shows) has
	// timeout of its own.
	var deadline <-chan time.Time
	wait := func(what string, done func() bool) error {
		for !done() {
			select {
			case f := <-queue:
				f()
			case <-deadline:
				a.s.Cancel()
				return fmt.Errorf("snapshot: no %s after %s", what, timeout)
			}
		}
		return nil
	}
	deadline = time.After(timeout)
	a.Start()
	if err := wait("result", func() bool { return first != nil }); err != nil {
		return err
	}
	if first.Err != nil {
		return first.Err
	}
	defer a.s.Close()
	defer a.closeDetail()
	deadline = time.After(timeout)
	if err := a.openSnapshotView(view, wait); err != nil {
		return err
	}
	img := a.Window.Canvas().Capture()
	if img == nil {
		return errors.New("snapshot: the window rendered nothing")
	}
	return render.SavePNG(path, img)
}

// openSnapshotView opens view on the first tile and waits, through wait,
// until it shows its pictures, and in the grid and the large view their
// faithfulness scores.
func (a *App) openSnapshotView(view string, wait func(string, func() bool) error) error {
	if view == "grid" {
		return wait(scoresShown, a.measuredShown)
	}
	a.OpenDetail(0)
	d := a.detail
	if d == nil {
		return errors.New("snapshot: no tile to show large")
	}
	if err := wait("large view", func() bool { return d.closeup != nil }); err != nil {
		return err
	}
	switch view {
	case "occlusion":
		a.OpenOcclusion(0)
		v := a.occlusion
		return wait("occlusion outcome", func() bool { return v.shown })
	case "layers":
		a.OpenScrubber(0)
		v := a.scrubber
		if v == nil {
			return errors.New("snapshot: " + a.status.Text)
		}
		return wait("layers' maps", func() bool { return v.ready || v.failed })
	}
	return wait(scoresShown, a.measuredShown)
}

// scoresShown names what measuredShown waits for, in the snapshot's
// sentence when they do not come.
const scoresShown = "faithfulness scores (the large view's deletion and insertion curves, the compare-methods rows' scores): they were still being measured"

// measuredShown reports whether the maps whose faithfulness the window
// shows (the session's Measuring) all have their scores (or the error
// that stopped their measurement).
func (a *App) measuredShown() bool {
	for _, k := range a.s.Measuring() {
		if _, ok := a.s.Scores(k); !ok {
			return false
		}
	}
	return true
}
