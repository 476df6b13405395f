package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"camscope/app/display"
	"camscope/app/explain"
	"camscope/app/session"
	"camscope/ui/widgets"
)

// occlusionView is the occlusion experiment on one tile: the photo with a
// grey square the user drags (or taps to place) beside the tile's class's
// map of the photo with the square, and the top classes with the square.
// Each move goes to the session's Occluder, which runs off the UI
// goroutine and keeps only the latest move; its outcomes come back
// through a.opts.Do.
type occlusionView struct {
	a       *App
	index   int
	tile    *display.Tile
	scale   float64 // display copy pixels per photo pixel
	occ     *session.Occluder
	photo   *widgets.SquareImage
	maps    *canvas.Image
	side    *widget.Slider
	sideVal *widget.Label
	classes *widget.Label
	status  *widget.Label
	root    fyne.CanvasObject
	shown   bool // an outcome is on screen
}

// Square sides offered, in percent of the shorter side of the model's
// input.
const (
	minSquarePercent = 5
	maxSquarePercent = 50
)

const occlusionHint = "Drag the grey square over the photo, or tap to place it: the probabilities and the map follow."

// OpenOcclusion starts the occlusion experiment on tile i.
func (a *App) OpenOcclusion(i int) {
	scene := a.s.Scene()
	if scene == nil || i < 0 || i >= len(scene.Tiles()) {
		return
	}
	a.closeExperiments()
	t := scene.Tiles()[i]
	v := &occlusionView{a: a, index: i, tile: t, scale: scene.Scale}
	frac := session.DefaultSquareSide
	b := scene.Photo.Rect
	cx, cy := float64(b.Dx())/2, float64(b.Dy())/2
	v.photo = widgets.NewSquareImage(scene.Photo, session.OccluderGrey, cx, cy, session.SquareOnPhoto(t, frac)*v.scale)
	v.photo.OnMove = func(float64, float64) { v.move() }
	v.maps = canvas.NewImageFromImage(t.Image)
	v.maps.FillMode = canvas.ImageFillContain
	v.maps.ScaleMode = canvas.ImageScaleSmooth
	v.sideVal = widget.NewLabel("")
	v.side = widget.NewSlider(minSquarePercent, maxSquarePercent)
	v.side.Step = 1
	v.side.Value = float64(int(frac*100 + 0.5))
	v.side.OnChanged = func(float64) {
		v.photo.SetSide(session.SquareOnPhoto(t, v.fraction()) * v.scale)
		v.move()
	}
	v.showSide()
	v.classes = widget.NewLabel(classLines(t, nil, t.Class.Index))
	v.classes.Truncation = fyne.TextTruncateEllipsis
	v.status = widget.NewLabel(occlusionHint)
	v.status.Wrapping = fyne.TextWrapWord
	v.occ = session.NewOccluder(scene, t, func(o session.Occluded) {
		a.opts.Do(func() { v.show(o) })
	})
	back := widget.NewButtonWithIcon("Large view", theme.NavigateBackIcon(), func() { a.OpenDetail(i) })
	title := widget.NewLabelWithStyle(fmt.Sprintf("Occlusion · %s · %s · %s", t.Result.Model.Name, display.FullTitle(t.Class), session.MethodName(v.occ.Method())),
		fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.Wrapping = fyne.TextWrapWord
	sideRow := container.NewBorder(nil, nil, widget.NewLabel("Square"), v.sideVal, v.side)
	top := container.NewVBox(container.NewBorder(nil, nil, back, nil, title), sideRow)
	pictures := container.NewGridWithColumns(2, v.photo, v.maps)
	bottom := container.NewVBox(widget.NewLabelWithStyle("Top classes with the square", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), v.classes, v.status)
	v.root = container.NewBorder(top, bottom, nil, nil, pictures)
	a.occlusion = v
	a.center.Objects = []fyne.CanvasObject{v.root}
	a.center.Refresh()
	v.move()
}

// fraction is the square's side as a fraction of the input's side.
func (v *occlusionView) fraction() float64 { return v.side.Value / 100 }

func (v *occlusionView) showSide() {
	v.sideVal.SetText(fmt.Sprintf("%.0f%% of the input", v.side.Value))
}

// move asks for the photo with the square where it is now.
func (v *occlusionView) move() {
	v.showSide()
	x, y, _ := v.photo.Square()
	v.occ.Move(session.Square{X: x / v.scale, Y: y / v.scale, Side: v.fraction()})
}

// show puts an outcome on screen, unless the view was closed.
func (v *occlusionView) show(o session.Occluded) {
	if v.a.occlusion != v {
		return
	}
	v.shown = true
	if o.Err != nil {
		v.status.SetText("Could not run the model: " + o.Err.Error())
		return
	}
	v.maps.Image = o.Image
	v.maps.Refresh()
	v.classes.SetText(classLines(v.tile, o.Top, v.tile.Class.Index))
	v.status.SetText(fmt.Sprintf("%s: %s without the square, %s with it · %d ms", v.tile.Class.Label,
		display.Percent(v.tile.Class.Prob), display.Percent(o.Class.Prob), o.Took.Milliseconds()))
}

// classLines lists the top classes with the square (the tile's result's
// before the first outcome), the followed class marked.
func classLines(t *display.Tile, top []explain.Class, followed int) string {
	if top == nil {
		for _, c := range t.Result.Classes {
			if c.Rank > 0 {
				top = append(top, c.Class)
			}
		}
	}
	var b strings.Builder
	for i, c := range top {
		mark := ""
		if c.Index == followed {
			mark = "  · the map's class"
		}
		fmt.Fprintf(&b, "%d. %s  %s%s\n", i+1, c.Label, display.Percent(c.Prob), mark)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// closeOcclusion stops the experiment.
func (a *App) closeOcclusion() {
	if a.occlusion == nil {
		return
	}
	a.occlusion.occ.Close()
	a.occlusion = nil
}
