// Package ui is CAMscope's desktop window: the photo and model pickers, the
// controls, the grid of overlay tiles, the large view, and the dialogs. It
// shows what package session computes and holds no inference logic of its
// own; every widget change from another goroutine goes through fyne.Do.
package ui

import (
	"context"
	"errors"
	"fmt"
	"image"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"camscope/app/session"
	"camscope/assets"
	"camscope/ui/widgets"
)

// Icon is the app's icon.
var Icon = fyne.NewStaticResource("icon.png", assets.Icon)

// AppID identifies the app for its preferences (as in FyneApp.toml).
const AppID = "io.camscope.app"

// Options are what the window starts with.
type Options struct {
	ImagePath  string   // photo to open first; "" opens the sample
	ModelPaths []string // models to open first; none opens the default model
	// CompareMethods opens the compare-methods view with its default rows.
	CompareMethods bool
	Funcs          session.Funcs
	// ModelDir is where downloaded models are kept; "" is
	// catalogue.CacheDir(). CatalogueBase replaces catalogue.ZooBase.
	ModelDir      string
	CatalogueBase string
	// Shown, when set, is called on the UI goroutine after each outcome has
	// been shown (tests and the snapshot wait on it).
	Shown func(session.Outcome)
	// Present starts in presentation mode (full screen, large text).
	Present bool
	// Do runs a function on the UI goroutine; nil is fyne.Do. Tests queue
	// the functions and run them on the test's goroutine, as the desktop
	// driver runs them on its own.
	Do func(func())
}

// App is one CAMscope window: the widgets that show a session.Session and
// forward what people do to it. All fields are owned by the UI goroutine.
type App struct {
	fyne   fyne.App
	Window fyne.Window
	s      *session.Session
	opts   Options

	tiles     []*widgets.Tile
	detail    *detail
	occlusion *occlusionView // the occlusion experiment, opened from the large view
	scrubber  *scrubberView  // the layer scrubber, opened from the large view
	// rowScores are the compare-methods rows' faithfulness (metrics.go).
	rowScores []*widget.Label
	downloads []*download

	grid     *fyne.Container
	gridLay  *widgets.AspectGrid
	center   *fyne.Container
	empty    *widget.Label
	emptyBox fyne.CanvasObject
	c        controls
	activity *widget.Activity
	status   *widget.Label
	cancel   *widget.Button

	emptyButtons fyne.CanvasObject // the empty state's buttons, hidden while a photo opens
	opening      string            // the photo being opened, until it is shown
	exportNote   *widget.Label     // how far the export in flight is
	notes        modelNotes
	presenting   bool
	notPresented []fyne.CanvasObject // toolbar buttons hidden in presentation mode
	leave        *widget.Button      // leaves presentation mode
	sideWidth    *canvas.Rectangle   // holds the sidebar's width
	thumbs       []sampleThumb       // the gallery's pictures, made once
	large        largeCopy           // the large view's copy of the photo
	largeFor     *image.RGBA         // the photo whose large copy is being made
}

// New builds the window; call Start to load the first inputs and
// Window.ShowAndRun (or the snapshot) to show it.
func New(fa fyne.App, opts Options) *App {
	if opts.Funcs.Explain == nil {
		opts.Funcs = session.DefaultFuncs()
	}
	if opts.Do == nil {
		opts.Do = fyne.Do
	}
	fa.Settings().SetTheme(newTheme())
	a := &App{fyne: fa, opts: opts}
	a.s = session.New(opts.Funcs, a.prefView(), func(o session.Outcome) {
		opts.Do(func() {
			if a.s.Apply(o) {
				a.show(o)
			}
		})
	})
	a.listenMeasured()
	a.Window = fa.NewWindow("CAMscope")
	a.Window.SetContent(a.build())
	a.setEmpty(startHint)
	a.Window.Resize(fyne.NewSize(1280, 800))
	a.Window.SetMainMenu(a.menu())
	a.shortcuts()
	a.Window.SetOnDropped(a.dropped)
	return a
}

// Start loads the photo and models given in the options, or the sample
// photo and the default model (in the compare-methods view if asked).
func (a *App) Start() {
	if a.opts.ImagePath != "" {
		a.remember(a.opts.ImagePath)
		a.opening = filepath.Base(a.opts.ImagePath)
	}
	if a.opts.CompareMethods {
		a.s.SetCompareMethods(a.s.DefaultCompareMethods())
	}
	a.s.Start(a.opts.ImagePath, a.opts.ModelPaths)
	a.refreshBusy()
	if a.opts.Present {
		a.SetPresentation(true)
	}
}

func (a *App) build() fyne.CanvasObject {
	a.gridLay = &widgets.AspectGrid{Captions: widgets.MeasureCaptions()}
	a.grid = container.NewStack()
	a.center = container.NewStack(a.grid, a.emptyState())
	a.activity = widget.NewActivity()
	a.activity.Hide()
	a.status = widget.NewLabel("")
	a.status.Truncation = fyne.TextTruncateEllipsis
	a.cancel = widget.NewButton("Cancel", a.Cancel)
	a.cancel.Importance = widget.LowImportance
	a.cancel.Hide()
	bottom := container.NewBorder(nil, nil, nil, container.NewHBox(a.activity, a.cancel), a.status)
	side := a.buildControls()
	return container.NewBorder(a.toolbar(), bottom, side, nil, container.NewPadded(a.center))
}

// startHint is what the empty window says; two short lines, which fit
// beside the sidebar in presentation mode too.
const startHint = "Open a photo (Ctrl+O) or drop one on the window\nto see where the model looks."

// emptyState is what the middle shows before there is anything to
// explain: what to do, and the buttons that do it.
func (a *App) emptyState() fyne.CanvasObject {
	a.empty = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	pic := canvas.NewImageFromResource(Icon)
	pic.FillMode = canvas.ImageFillContain
	pic.SetMinSize(fyne.NewSize(96, 96))
	photo := widget.NewButtonWithIcon("Open photo…", theme.FileImageIcon(), a.OpenPhotoDialog)
	photo.Importance = widget.HighImportance
	model := widget.NewButtonWithIcon("Open model…", theme.FolderOpenIcon(), a.OpenModelDialog)
	get := widget.NewButtonWithIcon("Get models…", theme.DownloadIcon(), a.GetModelsDialog)
	samples := widget.NewButtonWithIcon("Samples…", theme.GridIcon(), a.GalleryDialog)
	hint := widget.NewLabelWithStyle("Photos: PNG, JPEG, GIF, BMP, TIFF, WebP · models: ONNX or TFLite image classifiers\nor drop files here",
		fyne.TextAlignCenter, fyne.TextStyle{})
	hint.SizeName = theme.SizeNameCaptionText
	a.emptyButtons = container.NewVBox(container.NewCenter(container.NewHBox(photo, samples, model, get)), hint)
	a.emptyBox = container.NewCenter(container.NewVBox(pic, a.empty, a.emptyButtons))
	return a.emptyBox
}

// setEmpty shows msg in the empty state, or hides it for "".
func (a *App) setEmpty(msg string) {
	a.empty.SetText(msg)
	if msg == "" {
		a.emptyBox.Hide()
	} else {
		a.emptyBox.Show()
	}
}

// Cancel stops the run in flight; what is shown stays, and the controls
// go back to what it was asked with.
func (a *App) Cancel() {
	a.s.Cancel()
	a.opening = ""
	a.emptyButtons.Show()
	if len(a.tiles) == 0 {
		a.refreshTiles()
	}
	a.refreshBusy()
	a.refreshInfo()
	k := a.s.Request().TopK
	a.c.kValue.SetText(fmt.Sprint(k))
	a.c.k.Value = float64(k)
	a.c.k.Refresh()
	a.status.SetText("Cancelled.")
}

// refreshBusy shows whether a run is in flight, and which photo is
// opening: a large one takes seconds, and the window must not look like an
// empty start meanwhile.
func (a *App) refreshBusy() {
	if a.s.Busy() {
		a.activity.Show()
		a.activity.Start()
		a.cancel.Show()
		a.status.SetText(progressText(a.s.Progress()))
		if a.opening != "" {
			a.status.SetText("Opening " + a.opening + "…")
			if len(a.tiles) == 0 {
				a.setEmpty("Opening " + a.opening + "…")
				a.emptyButtons.Hide()
			}
		}
	} else {
		a.activity.Stop()
		a.activity.Hide()
		a.cancel.Hide()
	}
}

// show puts the session on screen after it took outcome o.
func (a *App) show(o session.Outcome) {
	// An outcome, even a report of rows being explained, comes after the
	// photo opened.
	a.opening = ""
	a.refreshBusy()
	if o.Partial {
		return
	}
	a.emptyButtons.Show()
	defer func() {
		if a.opts.Shown != nil {
			a.opts.Shown(o)
		}
	}()
	if o.Err != nil {
		// The status keeps saying what the window shows.
		a.status.SetText(a.summary())
		if !errors.Is(o.Err, context.Canceled) {
			a.showError(o.Err)
		}
		if len(a.tiles) == 0 {
			a.refreshInfo()
			a.refreshTiles()
		}
		return
	}
	a.refreshInfo()
	a.refreshTiles()
	a.prepareLargeCopy(false)
	a.status.SetText(a.summary())
	if p := a.s.Photo(); p != nil {
		a.Window.SetTitle("CAMscope — " + p.Name)
	}
}

func (a *App) summary() string {
	p := a.s.Photo()
	if len(a.s.Results()) == 0 || p == nil {
		return ""
	}
	var names []string
	for _, m := range a.s.Models() {
		names = append(names, m.Name)
	}
	method := session.MethodName(a.s.Request().Method)
	if ms := a.s.CompareMethods(); ms != nil {
		names = names[:1]
		method = fmt.Sprintf("%d methods", len(a.s.Results()))
	}
	if l, ok := a.s.Layer(); ok && a.s.Request().Layer != "" && a.s.LayerRead() {
		method += " at " + l.Label
	}
	return fmt.Sprintf("%s · %s · %s · %d ms", p.Name, strings.Join(names, ", "), method, a.s.Took().Milliseconds())
}

// showError puts err in a dialog. Fyne's error dialog capitalises the
// first letter, which would rename a file the sentence starts with
// ("notes.png" as "Notes.png"): such a sentence gets a first word.
func (a *App) showError(err error) {
	if r, _ := utf8.DecodeRuneInString(err.Error()); unicode.IsLower(r) {
		err = fmt.Errorf("Could not go on: %w", err)
	}
	dialog.ShowError(err, a.Window)
}
