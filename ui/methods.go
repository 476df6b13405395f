package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"camscope/app/explain"
	"camscope/app/session"
)

// SetLayer explains the maps at layer ("" for the model's default).
func (a *App) SetLayer(layer string) {
	a.s.SetLayer(layer)
	a.refreshBusy()
}

// SetCompareMethods shows one row per method (none: the normal view).
func (a *App) SetCompareMethods(methods []explain.Method) {
	a.s.SetCompareMethods(methods)
	a.refreshInfo()
	a.refreshBusy()
}

// CompareMethodsDialog lets people tick the methods to show side by side,
// one row each, for the same photo, model and classes.
func (a *App) CompareMethodsDialog() {
	models := a.s.Models()
	if len(models) == 0 {
		return
	}
	layer := a.s.Request().Layer
	picked := a.s.CompareMethods()
	if picked == nil {
		picked = a.s.DefaultCompareMethods()
	}
	var selected []string
	for _, m := range picked {
		selected = append(selected, session.MethodName(m))
	}
	group := widget.NewCheckGroup(session.MethodNamesFor(models[:1], session.LayerApplies(models, layer)), nil)
	group.Selected = selected
	help := note()
	text := "One row per method, the same classes in every row; the sidebar's scale, opacity, colours and box apply to all. Slow methods can be cancelled."
	if len(models) > 1 {
		text += fmt.Sprintf(" Rows are %s's (the first model).", models[0].Name)
	}
	if reason := session.MethodsOff(models[:1], layer); reason != "" {
		text += " " + reason
	}
	help.SetText(text)
	content := container.NewVBox(group, help)
	d := dialog.NewCustomConfirm("Compare methods", "Show", "Cancel", content, func(ok bool) {
		if !ok {
			return
		}
		var methods []explain.Method
		for _, name := range group.Selected {
			if m, found := session.MethodNamed(name); found {
				methods = append(methods, m)
			}
		}
		if len(methods) > 0 {
			a.SetCompareMethods(methods)
		}
	}, a.Window)
	d.Resize(fyne.NewSize(460, 0))
	d.Show()
}

// progressText says how far the run in flight is.
func progressText(p session.Progress) string {
	passes := ""
	if p.Total > 0 {
		passes = fmt.Sprintf(" %d of %d forward passes (%d%%)", p.Done, p.Total, p.Done*100/p.Total)
	}
	if p.Rows <= 1 {
		if passes == "" {
			return "Explaining…"
		}
		return "Explaining:" + passes + "…"
	}
	if passes != "" {
		passes = "," + passes
	}
	return fmt.Sprintf("Explaining %d of %d: %s%s…", p.Row, p.Rows, p.Name, passes)
}
