package ui

import (
	"fmt"
	"image"
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"camscope/app/explain"
	"camscope/app/render"
	"camscope/app/session"
)

// controls are the sidebar's widgets.
type controls struct {
	modelName  *widget.Label
	modelInfo  *widget.Label
	photoInfo  *widget.Label
	k          *widget.Slider
	kValue     *widget.Label
	method     *widget.Select
	methodHelp *widget.Label // what the chosen method shows
	methodNote *widget.Label // why CAM is not offered
	agreeNote  *widget.Label // which methods must give the same map here
	layer      *widget.Select
	layerNote  *widget.Label  // why the layer cannot be chosen
	compareM   *widget.Button // opens the compare-methods dialog
	oneMethod  *widget.Button // leaves the compare-methods view
	norm       *widget.RadioGroup
	opacity    *widget.Slider
	opValue    *widget.Label
	colormap   *widget.Select
	colorBar   *canvas.Image
	box        *widget.Check
	threshold  *widget.Slider
	thrValue   *widget.Label
	contour    *widget.Check
	classNote  *widget.Label
	normHelp   *widget.Label
	photoCol   *widget.Check
	search     *widget.Entry
	searchNote *widget.Label
	picks      *fyne.Container // the matches of an ambiguous search
	searched   *fyne.Container // the searched classes, each with a remove button
	keep       *widget.Check
	panel      *fyne.Container // everything above, re-laid out when texts change
}

func heading(s string) fyne.CanvasObject {
	l := widget.NewLabelWithStyle(strings.ToUpper(s), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.Importance = widget.HighImportance
	l.SizeName = theme.SizeNameCaptionText
	return l
}

func note() *widget.Label {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	l.SizeName = theme.SizeNameCaptionText
	return l
}

// row puts a label, a control and its value on one line.
func row(label string, control, value fyne.CanvasObject) fyne.CanvasObject {
	return container.NewBorder(nil, nil, widget.NewLabel(label), value, control)
}

func (a *App) buildControls() fyne.CanvasObject {
	c := &a.c
	req, view := a.s.Request(), a.s.View()
	c.modelName = widget.NewLabelWithStyle("No model", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	c.modelName.Truncation = fyne.TextTruncateEllipsis
	c.modelInfo = note()
	c.photoInfo = note()
	c.classNote = note()
	c.classNote.Hide()

	c.k = widget.NewSlider(1, explain.MaxTopK)
	c.k.Step = 1
	c.k.Value = float64(req.TopK)
	c.kValue = widget.NewLabel(fmt.Sprint(req.TopK))
	c.k.OnChanged = func(v float64) { c.kValue.SetText(fmt.Sprint(int(v))) }
	c.k.OnChangeEnded = func(v float64) { a.SetTopK(int(v)) }

	c.method = widget.NewSelect(session.MethodNames(), func(s string) {
		if m, ok := session.MethodNamed(s); ok {
			a.SetMethod(m)
		}
	})
	c.method.Selected = session.MethodName(req.Method)
	c.methodHelp = note()
	c.methodHelp.SetText(session.MethodHelp(req.Method))
	c.methodNote = note()
	c.methodNote.Hide()
	c.agreeNote = note()
	c.agreeNote.Hide()

	c.layer = widget.NewSelect(nil, func(label string) {
		for _, l := range a.s.Layers() {
			if l.Label == label {
				a.SetLayer(l.Name)
			}
		}
	})
	c.layer.PlaceHolder = "(no model)"
	c.layer.Disable()
	c.layerNote = note()
	c.layerNote.Hide()
	c.compareM = widget.NewButtonWithIcon("Compare methods…", theme.ViewRestoreIcon(), a.CompareMethodsDialog)
	c.oneMethod = widget.NewButtonWithIcon("Back to one method", theme.NavigateBackIcon(), func() { a.SetCompareMethods(nil) })
	c.oneMethod.Hide()

	c.norm = widget.NewRadioGroup(nil, a.SetScale)
	c.norm.Required = true
	c.normHelp = note()
	a.refreshScale()

	c.photoCol = widget.NewCheck("Photo at the start of each row", func(b bool) {
		if b != a.s.PhotoColumn() {
			a.SetPhotoColumn(b)
		}
	})
	c.photoCol.Hide()

	c.opacity = widget.NewSlider(0, 100)
	c.opacity.Step = 1
	c.opacity.Value = view.Opacity * 100
	c.opValue = widget.NewLabel(percentText(view.Opacity))
	c.opacity.OnChanged = func(v float64) { a.SetOpacity(v / 100) }
	c.opacity.OnChangeEnded = func(v float64) { a.fyne.Preferences().SetFloat(prefOpacity, v/100) }

	c.colormap = widget.NewSelect(render.Names(), func(name string) {
		if cm, err := render.LookupColormap(name); err == nil {
			a.SetColormap(cm)
		}
	})
	c.colormap.Selected = view.Colormap.Name()
	c.colorBar = canvas.NewImageFromImage(colorBar(view.Colormap))
	c.colorBar.FillMode = canvas.ImageFillStretch
	c.colorBar.SetMinSize(fyne.NewSize(100, 10))

	c.box = widget.NewCheck("Box", func(b bool) { a.s.SetBox(b); a.refreshThreshold(); a.refreshImages() })
	c.contour = widget.NewCheck("Contour", func(b bool) { a.s.SetContour(b); a.refreshThreshold(); a.refreshImages() })
	c.threshold = widget.NewSlider(5, 95)
	c.threshold.Step = 5
	c.threshold.Value = view.BoxThreshold * 100
	c.thrValue = widget.NewLabel(percentText(view.BoxThreshold))
	c.threshold.OnChanged = func(v float64) {
		a.s.SetThreshold(v / 100)
		c.thrValue.SetText(percentText(a.s.View().BoxThreshold))
		a.refreshImages()
	}
	a.refreshThreshold()

	c.search = widget.NewEntry()
	c.search.SetPlaceHolder("tabby, retriever or 281")
	c.search.OnSubmitted = func(s string) { a.SearchClass(s) }
	add := widget.NewButtonWithIcon("", theme.ContentAddIcon(), func() { a.SearchClass(c.search.Text) })
	c.searchNote = note()
	c.picks = container.NewVBox()
	c.picks.Hide()
	c.searched = container.NewVBox()
	c.searched.Hide()
	c.keep = widget.NewCheck("Keep them for the next photo", a.s.SetKeepClasses)
	c.keep.Hide()

	box := container.NewVBox(
		heading("Model"), c.modelName, a.buildModelNotes(), c.modelInfo, c.classNote, c.photoInfo,
		widget.NewSeparator(),
		heading("Explain"),
		row("Classes", c.k, c.kValue),
		row("Method", c.method, nil), c.methodHelp, c.methodNote, c.agreeNote,
		layerCaption(), c.layer, c.layerNote,
		c.compareM, c.oneMethod,
		row("Scale", c.norm, nil), c.normHelp, c.photoCol,
		widget.NewSeparator(),
		heading("Show"),
		row("Opacity", c.opacity, c.opValue),
		c.colormap, c.colorBar, barLegend(),
		container.NewHBox(c.box, c.contour),
		row("Threshold", c.threshold, c.thrValue),
		widget.NewSeparator(),
		heading("Find a class"),
		container.NewBorder(nil, nil, nil, add, c.search), c.searchNote, c.picks, c.searched, c.keep,
	)
	c.panel = box
	scroll := container.NewVScroll(container.NewPadded(box))
	a.sideWidth = canvas.NewRectangle(color.Transparent)
	a.sideWidth.SetMinSize(fyne.NewSize(sidebarWidth, 0))
	return container.NewStack(a.sideWidth, scroll)
}

const sidebarWidth = 270

func (a *App) toolbar() fyne.CanvasObject {
	openPhoto := widget.NewButtonWithIcon("Open photo…", theme.FileImageIcon(), a.OpenPhotoDialog)
	samples := widget.NewButtonWithIcon("Samples…", theme.GridIcon(), a.GalleryDialog)
	openModel := widget.NewButtonWithIcon("Open model…", theme.FolderOpenIcon(), a.OpenModelDialog)
	compare := widget.NewButtonWithIcon("Compare…", theme.ViewRestoreIcon(), a.CompareDialog)
	get := widget.NewButtonWithIcon("Get models…", theme.DownloadIcon(), a.GetModelsDialog)
	export := widget.NewButtonWithIcon("Export…", theme.DocumentSaveIcon(), a.ExportDialog)
	about := widget.NewButtonWithIcon("", theme.InfoIcon(), a.AboutDialog)
	openPhoto.Importance = widget.HighImportance
	about.Importance = widget.LowImportance
	title := widget.NewLabelWithStyle("CAMscope", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	// Presentation mode keeps what a class needs, in large text that fits
	// a 1024-pixel projector.
	a.notPresented = []fyne.CanvasObject{openModel, compare, get, export}
	a.leave = widget.NewButtonWithIcon("Leave presentation (Esc)", theme.ViewRestoreIcon(), func() { a.SetPresentation(false) })
	a.leave.Hide()
	bar := container.NewHBox(title, widget.NewSeparator(), openPhoto, samples, openModel, compare, get, export, a.leave)
	return container.NewVBox(container.NewBorder(nil, nil, nil, about, bar), widget.NewSeparator())
}

func (a *App) menu() *fyne.MainMenu {
	file := fyne.NewMenu("File",
		fyne.NewMenuItem("Open photo…", a.OpenPhotoDialog),
		fyne.NewMenuItem("Samples…", a.GalleryDialog),
		fyne.NewMenuItem("Open model…", a.OpenModelDialog),
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Export…", a.ExportDialog),
	)
	models := fyne.NewMenu("Models",
		fyne.NewMenuItem("Compare models…", a.CompareDialog),
		fyne.NewMenuItem("Get models…", a.GetModelsDialog),
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem(session.ImageNetName, func() { a.OpenBuiltin(session.ImageNetName) }),
		fyne.NewMenuItem(session.BuiltinName, func() { a.OpenBuiltin(session.BuiltinName) }),
		fyne.NewMenuItem("ImageNet labels for this model", a.UseImageNetLabels),
		fyne.NewMenuItem("Labels file for this model…", a.LabelsFileDialog),
	)
	view := fyne.NewMenu("View", fyne.NewMenuItem("Presentation mode (F11)", a.TogglePresentation))
	help := fyne.NewMenu("Help", fyne.NewMenuItem("About CAMscope", a.AboutDialog))
	return fyne.NewMainMenu(file, models, view, help)
}

func (a *App) shortcuts() {
	add := func(k fyne.KeyName, f func()) {
		a.Window.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault},
			func(fyne.Shortcut) { f() })
	}
	add(fyne.KeyO, a.OpenPhotoDialog)
	add(fyne.KeyS, a.ExportDialog)
	add(fyne.KeyQ, a.fyne.Quit)
	a.Window.Canvas().SetOnTypedKey(a.typedKey)
}

// refreshInfo shows the model and photo facts and what the model allows.
func (a *App) refreshInfo() {
	c := &a.c
	models := a.s.Models()
	switch len(models) {
	case 0:
		c.modelName.SetText("No model")
		c.modelInfo.SetText("Open an ONNX or TFLite image classifier, or get one from the catalogue.")
	case 1:
		m := models[0]
		c.modelName.SetText(m.Name)
		c.modelInfo.SetText(modelFacts(m, a.s))
		c.search.SetPlaceHolder(searchHint(m))
		c.k.Max = float64(min(explain.MaxTopK, m.NumClasses()))
		c.k.Refresh()
	default:
		var names []string
		for _, m := range models {
			names = append(names, m.Name)
		}
		c.modelName.SetText(fmt.Sprintf("%d models", len(models)))
		c.modelInfo.SetText(strings.Join(names, "\n"))
	}
	if p := a.s.Photo(); p != nil {
		b := p.Image.Rect
		c.photoInfo.SetText(fmt.Sprintf("Photo %s · %d×%d", p.Name, b.Dx(), b.Dy()))
	} else {
		c.photoInfo.SetText("No photo")
	}
	// Twice: a wrapped note shown again has its height only once laid out
	// at the sidebar's width.
	defer c.panel.Refresh()
	defer c.panel.Refresh()
	req := a.s.Request()
	c.method.Options = session.MethodNamesFor(models, req.Layer)
	_, reason := session.CAMApplies(models, req.Layer)
	showNote(c.methodNote, reason)
	c.method.Selected = session.MethodName(req.Method)
	c.methodHelp.SetText(session.MethodHelp(req.Method))
	methods := a.s.CompareMethods()
	if methods != nil {
		c.method.Disable()
		c.methodHelp.SetText("One row per method, the same classes in each (choose them with Compare methods…).")
		c.oneMethod.Show()
	} else {
		c.method.Enable()
		c.oneMethod.Hide()
	}
	c.method.Refresh()
	if methods != nil {
		_, agree := session.Agreement(models, req.Layer)
		showNote(c.agreeNote, agree)
	} else {
		showNote(c.agreeNote, a.s.MethodNote())
	}
	layers := a.s.Layers()
	c.layer.Options = nil
	for _, l := range layers {
		c.layer.Options = append(c.layer.Options, l.Label)
	}
	if l, ok := a.s.Layer(); ok {
		c.layer.Selected = l.Label
		if a.s.LayerRead() {
			c.layer.Enable()
		} else {
			c.layer.Disable()
		}
	} else {
		c.layer.Selected = ""
		c.layer.Disable()
	}
	c.layer.Refresh()
	showLayerNote(c.layer, c.layerNote, a.s.LayerNote())
	a.refreshScale()
	a.refreshSearched()
	a.refreshModelNotes()
	showNote(c.classNote, a.s.ClassesNote())
	if len(a.s.Results()) > 1 {
		c.photoCol.Show()
	} else {
		c.photoCol.Hide()
	}
	c.photoCol.SetChecked(a.s.PhotoColumn())
	if len(models) == 0 {
		c.compareM.Disable()
	} else {
		c.compareM.Enable()
	}
}

// refreshThreshold enables the threshold while the box or the contour,
// which it places, is shown.
func (a *App) refreshThreshold() {
	if v := a.s.View(); v.Box || v.Contour {
		a.c.threshold.Enable()
	} else {
		a.c.threshold.Disable()
	}
}

// refreshScale shows the scales offered, the one chosen and what it means.
func (a *App) refreshScale() {
	c := &a.c
	choices := a.s.ScaleChoices()
	c.norm.Options = nil
	for _, ch := range choices {
		c.norm.Options = append(c.norm.Options, ch.Name)
	}
	c.norm.Horizontal = len(choices) < 3
	cur := a.s.CurrentScale()
	c.norm.Selected = cur.Name
	c.norm.Refresh()
	c.normHelp.SetText(cur.Help)
}

// showNote shows text in l, or hides l for "".
func showNote(l *widget.Label, text string) {
	l.SetText(text)
	if text == "" {
		l.Hide()
	} else {
		l.Show()
	}
}

// searchHint shows what the class search takes, in the model's terms.
func searchHint(m *explain.Model) string {
	n := m.NumClasses()
	if len(m.Labels) < 2 {
		return fmt.Sprintf("a class index, 0 to %d", n-1)
	}
	pick := func(k int) string {
		l, _, _ := strings.Cut(m.Labels[min(k, n-1)], ",")
		return l
	}
	return fmt.Sprintf("%s, %s or %d", pick(n/3), pick(2*n/3), n/2)
}

// showLayerNote shows why the layer cannot be chosen (a method that
// reads none, compared models) in its place, in the sidebar's text size
// and colour: a picker greyed out in Fyne's disabled colour, showing a
// layer that changes nothing, is hard to read and misleads. Without a
// reason (no model yet) the greyed picker stays.
func showLayerNote(picker *widget.Select, l *widget.Label, why string) {
	showNote(l, why)
	if why != "" && picker.Disabled() {
		l.SizeName = theme.SizeNameText
		picker.Hide()
	} else {
		l.SizeName = theme.SizeNameCaptionText
		picker.Show()
	}
	l.Refresh()
}

// layerCaption names the layer picker above it (the sidebar is too narrow
// for a layer's name beside a label).
func layerCaption() fyne.CanvasObject {
	l := widget.NewLabel("Layer (where the maps are computed)")
	l.SizeName = theme.SizeNameCaptionText
	return l
}

// modelFacts describes m at the session's layer, or where the map is for
// a method that reads no layer.
func modelFacts(m *explain.Model, s *session.Session) string {
	w, h := m.InputSize()
	if fact := s.NoLayerFact(); fact != "" {
		return fmt.Sprintf("Input %d×%d · %d classes\n%s", w, h, m.NumClasses(), fact)
	}
	if l, ok := s.Layer(); ok {
		return fmt.Sprintf("Input %d×%d · %d classes\nLayer %s (%d×%d map)", w, h, m.NumClasses(), l.Short, l.W, l.H)
	}
	layer := m.Layer()
	if mw, mh, ok := m.MapSize(); ok {
		layer = fmt.Sprintf("%s (%d×%d map)", layer, mw, mh)
	}
	return fmt.Sprintf("Input %d×%d · %d classes\nLayer %s", w, h, m.NumClasses(), layer)
}

// barLegend names the colour bar's ends.
func barLegend() fyne.CanvasObject {
	low, high := note(), note()
	low.Wrapping, high.Wrapping = fyne.TextWrapOff, fyne.TextWrapOff
	low.SetText("less evidence")
	high.SetText("more evidence")
	high.Alignment = fyne.TextAlignTrailing
	return container.NewGridWithColumns(2, low, high)
}

func percentText(v float64) string { return fmt.Sprintf("%.0f%%", v*100) }

func colorBar(cm *render.Colormap) image.Image {
	return render.ColorBar(cm, 256, 10, render.ColorBarOptions{})
}
