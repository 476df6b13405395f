package ui

import (
	"fmt"
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"camscope/app/display"
	"camscope/app/faithfulness"
	"camscope/app/session"
	"camscope/ui/widgets"
)

// The curves' colours: deletion red, insertion blue, both readable on the
// dark background.
var (
	deletionColor  = color.NRGBA{R: 0xef, G: 0x53, B: 0x50, A: 0xff}
	insertionColor = color.NRGBA{R: 0x4f, G: 0xa8, B: 0xf0, A: 0xff}
)

// listenMeasured shows the session's faithfulness measurements as they
// come, on the UI goroutine.
func (a *App) listenMeasured() {
	a.s.OnMeasured(func(m session.Measured) {
		a.opts.Do(func() {
			if a.s.ApplyMeasured(m) {
				a.showMeasured()
			}
		})
	})
}

// showMeasured puts the scores measured so far where they are shown: the
// large view and the compare-methods rows.
func (a *App) showMeasured() {
	if a.detail != nil {
		a.detail.metrics.show()
	}
	for i, r := range a.s.RowScores() {
		if i < len(a.rowScores) {
			a.rowScores[i].SetText(rowScoreText(r))
		}
	}
}

// metricsPanel is the large view's faithfulness of its map: the deletion
// and insertion curves, their areas and the average drop.
type metricsPanel struct {
	a     *App
	key   session.MapKey
	label string // the class, as the title names it
	plot  *widgets.Curves
	text  *widget.Label
	// scroll holds text: it takes the plot's height and scrolls where the
	// window is small for the text (presentation mode at 1024x768)
	// instead of running over what is below it.
	scroll *container.Scroll
	root   fyne.CanvasObject
}

// newMetricsPanel shows tile t's scores, or that they are being measured.
func (a *App) newMetricsPanel(t *display.Tile) *metricsPanel {
	p := &metricsPanel{a: a, key: session.KeyOf(t), label: display.FullTitle(t.Class)}
	p.plot = widgets.NewCurves("fraction of pixels changed", "probability")
	p.text = widget.NewLabel("")
	p.text.Wrapping = fyne.TextWrapWord
	p.scroll = container.NewVScroll(p.text)
	p.root = container.NewBorder(nil, nil, p.plot, nil, p.scroll)
	p.show()
	return p
}

// show shows the panel's map's scores as the session has them.
func (p *metricsPanel) show() {
	sc, ok := p.a.s.Scores(p.key)
	switch {
	case !ok:
		p.text.SetText(fmt.Sprintf("Measuring how faithful this map is to the model: deletion and insertion in %d steps and the average drop…", faithfulness.DefaultSteps))
		p.plot.SetCurves(nil)
	case sc.Err != nil:
		p.text.SetText("Could not measure this map: " + sc.Err.Error())
		p.plot.SetCurves(nil)
	default:
		p.text.SetText(detailScoreText(p.label, sc.Scores))
		var curves []widgets.Curve
		if d := sc.Scores.Deletion; d != nil {
			curves = append(curves, widgets.Curve{Name: "Deletion", X: d.Fractions, Y: d.Probs, Color: deletionColor})
		}
		if in := sc.Scores.Insertion; in != nil {
			curves = append(curves, widgets.Curve{Name: "Insertion", X: in.Fractions, Y: in.Probs, Color: insertionColor})
		}
		p.plot.SetCurves(curves)
	}
}

// detailScoreText says what the large view's scores of the map of class
// label are and which way is better.
func detailScoreText(label string, sc faithfulness.Scores) string {
	lines := []string{fmt.Sprintf("How faithful this map is to the model for %s (pixels changed in the map's order, %d steps):", label, faithfulness.DefaultSteps)}
	if d := sc.Deletion; d != nil {
		lines = append(lines, fmt.Sprintf("Deletion AUC %.3f, lower is better: the class fades as the pixels the map points at are greyed out.", d.AUC))
	}
	if in := sc.Insertion; in != nil {
		lines = append(lines, fmt.Sprintf("Insertion AUC %.3f, higher is better: it comes back as they return onto a blurred photo.", in.AUC))
	}
	if c := sc.Confidence; c != nil {
		lines = append(lines, fmt.Sprintf("Average drop %s, lower is better: the photo times the map keeps the class.", display.Percent(c.Drop)))
	}
	return strings.Join(lines, "\n")
}

// rowScoreLabel is the label of compare-methods row i's scores, under its
// name.
func (a *App) rowScoreLabel(i int) *widget.Label {
	l := widget.NewLabel("")
	l.SizeName = theme.SizeNameCaptionText
	l.Wrapping = fyne.TextWrapWord
	if rows := a.s.RowScores(); i < len(rows) {
		l.SetText(rowScoreText(rows[i]))
	}
	a.rowScores = append(a.rowScores, l)
	return l
}

// rowScoreText is a compare-methods row's scores of its first map, the
// best row's marked.
func rowScoreText(r session.RowScore) string {
	switch {
	case !r.Measured:
		return "Measuring…"
	case r.Err != nil:
		return "Not measured: " + r.Err.Error()
	}
	best := func(b bool) string {
		if b {
			return " (best)"
		}
		return ""
	}
	var lines []string
	if d := r.Scores.Deletion; d != nil {
		lines = append(lines, fmt.Sprintf("Deletion %.3f%s", d.AUC, best(r.BestDeletion)))
	}
	if in := r.Scores.Insertion; in != nil {
		lines = append(lines, fmt.Sprintf("Insertion %.3f%s", in.AUC, best(r.BestInsertion)))
	}
	if c := r.Scores.Confidence; c != nil {
		lines = append(lines, fmt.Sprintf("Avg drop %s%s", display.Percent(c.Drop), best(r.BestDrop)))
	}
	return strings.Join(lines, "\n")
}
