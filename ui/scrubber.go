package ui

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"camscope/app/display"
	"camscope/app/session"
)

// scrubberView is the layer scrubber on one tile: a slider over the
// model's layers, from the first to the last, and the tile's class's map
// at the layer chosen. The maps of every layer are computed once, off the
// UI goroutine (session.Scrubber.Compute); moving the slider then only
// shows a picture.
type scrubberView struct {
	a      *App
	sc     *session.Scrubber
	cancel context.CancelFunc
	ready  bool // the maps are computed: Image may be called
	failed bool // they could not be
	slider *widget.Slider
	layer  *widget.Label
	image  *canvas.Image
	status *widget.Label
	root   fyne.CanvasObject
}

// OpenScrubber shows the layer scrubber on tile i, or says why there is
// none.
func (a *App) OpenScrubber(i int) {
	scene := a.s.Scene()
	if scene == nil || i < 0 || i >= len(scene.Tiles()) {
		return
	}
	t := scene.Tiles()[i]
	sc := a.s.Scrubber(scene, t)
	if sc == nil {
		a.status.SetText("This model has no layers to choose from.")
		return
	}
	a.closeExperiments()
	ctx, cancel := context.WithCancel(context.Background())
	v := &scrubberView{a: a, sc: sc, cancel: cancel}
	v.image = canvas.NewImageFromImage(scene.Photo)
	v.image.FillMode = canvas.ImageFillContain
	v.image.ScaleMode = canvas.ImageScaleSmooth
	v.layer = widget.NewLabel("")
	v.slider = widget.NewSlider(1, float64(len(sc.Layers)))
	v.slider.Step = 1
	v.slider.Value = float64(sc.Start() + 1)
	v.slider.OnChanged = func(float64) { v.show() }
	v.slider.Disable()
	v.status = widget.NewLabel(fmt.Sprintf("Computing the map at %d layers…", len(sc.Layers)))
	v.status.Wrapping = fyne.TextWrapWord
	v.showLayer()
	back := widget.NewButtonWithIcon("Large view", theme.NavigateBackIcon(), func() { a.OpenDetail(i) })
	title := widget.NewLabelWithStyle(fmt.Sprintf("Layers · %s · %s · %s", t.Result.Model.Name, display.FullTitle(t.Class), session.MethodName(sc.Method)),
		fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.Wrapping = fyne.TextWrapWord
	note := widget.NewLabel(sc.Note)
	note.Wrapping = fyne.TextWrapWord
	if sc.Note == "" {
		note.Hide()
	}
	sliderRow := container.NewBorder(nil, nil, widget.NewLabel("First"), widget.NewLabel("Last"), v.slider)
	top := container.NewVBox(container.NewBorder(nil, nil, back, nil, title), sliderRow, v.layer, note)
	v.root = container.NewBorder(top, v.status, nil, nil, v.image)
	a.scrubber = v
	a.center.Objects = []fyne.CanvasObject{v.root}
	a.center.Refresh()
	go func() {
		start := time.Now()
		err := sc.Compute(ctx)
		took := time.Since(start)
		a.opts.Do(func() { v.computed(err, took) })
	}()
}

// computed shows the maps once Compute returned, unless the view was
// closed.
func (v *scrubberView) computed(err error, took time.Duration) {
	if v.a.scrubber != v {
		return
	}
	if err != nil {
		v.failed = true
		v.status.SetText("Could not compute the maps: " + err.Error())
		return
	}
	v.status.SetText(fmt.Sprintf("%d layers' maps from one pass in %d ms. Drag the slider from the first layer (edges) to the last (objects); each map is scaled on its own.",
		len(v.sc.Layers), took.Milliseconds()))
	v.ready = true
	v.slider.Enable()
	v.show()
}

// index is the layer the slider is on.
func (v *scrubberView) index() int {
	return min(max(int(v.slider.Value)-1, 0), len(v.sc.Layers)-1)
}

func (v *scrubberView) showLayer() {
	l := v.sc.Layers[v.index()]
	v.layer.SetText(fmt.Sprintf("Layer %d of %d: %s", v.index()+1, len(v.sc.Layers), l.Label))
}

// show puts the chosen layer's map on screen.
func (v *scrubberView) show() {
	v.showLayer()
	if !v.ready {
		return
	}
	if img := v.sc.Image(v.index()); img != nil {
		v.image.Image = img
		v.image.Refresh()
	}
}

// closeScrubber stops the scrubber's computation, if it still runs.
func (a *App) closeScrubber() {
	if a.scrubber == nil {
		return
	}
	a.scrubber.cancel()
	a.scrubber = nil
}

// closeExperiments leaves the occlusion experiment and the layer
// scrubber.
func (a *App) closeExperiments() {
	a.closeOcclusion()
	a.closeScrubber()
}
