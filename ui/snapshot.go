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

// Snapshot renders the real window for opts at size with Fyne's software
// driver (no display needed), waits up to timeout for the first result, and
// writes the window to path as a PNG (atomically).
func Snapshot(path string, opts Options, size fyne.Size, timeout time.Duration) error {
	// The desktop driver, linked in, marks the main goroutine as its UI
	// thread; the software driver wants its calls made from any other one.
	errc := make(chan error, 1)
	go func() { errc <- snapshot(path, opts, size, timeout) }()
	return <-errc
}

func snapshot(path string, opts Options, size fyne.Size, timeout time.Duration) error {
	fa := test.NewApp()
	defer fa.Quit()
	shown := make(chan session.Outcome, 1)
	opts.Shown = func(o session.Outcome) {
		select {
		case shown <- o:
		default:
		}
	}
	a := New(fa, opts)
	a.Window.Resize(size)
	a.Start()
	select {
	case o := <-shown:
		if o.Err != nil {
			return o.Err
		}
	case <-time.After(timeout):
		a.s.Cancel()
		return fmt.Errorf("snapshot: no result after %s", timeout)
	}
	defer a.s.Close()
	img := a.Window.Canvas().Capture()
	if img == nil {
		return errors.New("snapshot: the window rendered nothing")
	}
	return render.SavePNG(path, img)
}
