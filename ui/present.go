package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"camscope/ui/widgets"
)

// presentScale is how much larger text is in presentation mode, and
// presentFrame how much larger padding, icons and the sidebar are: at
// 1024x768 on a projector, captions and controls read from the back of a
// room, and the tiles keep most of the width.
const (
	presentScale = 1.4
	presentFrame = 1.1
)

// SetPresentation turns presentation mode on or off: full screen, larger
// text and controls. The arrow keys and Page Up/Down go through the
// photo's folder in the grid and through the classes in the large view;
// Esc leaves the large view, then presentation mode.
func (a *App) SetPresentation(on bool) {
	a.presenting = on
	a.Window.SetFullScreen(on)
	a.Window.Canvas().Unfocus() // the arrow keys go to the window
	t := newTheme()
	side := float32(sidebarWidth)
	if on {
		t = scaledTheme{t, presentScale, presentFrame}
		side *= presentFrame
	}
	a.fyne.Settings().SetTheme(t)
	for _, o := range a.notPresented {
		showIf(o, !on)
	}
	showIf(a.leave, on)
	a.sideWidth.SetMinSize(fyne.NewSize(side, 0))
	a.gridLay.Captions = widgets.MeasureCaptions()
	// Rebuilt, not only refreshed, behind the large view too: each compare
	// row has its own copy of the layout and a header of the text's height.
	a.buildGrid()
	a.Window.Content().Refresh()
}

// TogglePresentation switches presentation mode.
func (a *App) TogglePresentation() { a.SetPresentation(!a.presenting) }

// typedKey handles the keys the window reads itself (not typed into a
// field): Esc, F11, the arrows and Page Up/Down.
func (a *App) typedKey(e *fyne.KeyEvent) {
	step := 0
	experiment := a.occlusion != nil || a.scrubber != nil
	switch e.Name {
	case fyne.KeyEscape:
		if a.detail != nil || experiment {
			a.closeDetail()
		} else if a.presenting {
			a.SetPresentation(false)
		}
		return
	case fyne.KeyF11:
		a.TogglePresentation()
		return
	case fyne.KeyRight, fyne.KeyDown, fyne.KeyPageDown:
		step = 1
	case fyne.KeyLeft, fyne.KeyUp, fyne.KeyPageUp:
		step = -1
	default:
		return
	}
	if experiment {
		// The experiments' own controls take the arrows.
		return
	}
	if a.detail != nil {
		a.stepDetail(step)
		return
	}
	a.StepPhoto(step)
}

// StepPhoto opens the photo step places on in the photo's folder (see
// session.NeighbourPhoto), or in the gallery for one of its pictures;
// nothing happens for a photo alone in its folder.
func (a *App) StepPhoto(step int) {
	if next := a.s.NeighbourPhoto(step); next != "" {
		a.OpenPhoto(next)
	} else if smp, ok := a.s.NeighbourSample(step); ok {
		a.OpenSample(smp)
	}
}

// scaledTheme is a theme with larger text (text) and larger everything
// else (frame).
type scaledTheme struct {
	fyne.Theme
	text, frame float32
}

func (t scaledTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameText, theme.SizeNameCaptionText, theme.SizeNameHeadingText, theme.SizeNameSubHeadingText:
		return t.Theme.Size(n) * t.text
	}
	return t.Theme.Size(n) * t.frame
}
