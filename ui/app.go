// Package ui is CAMscope's desktop window: the photo and model pickers, the
// controls, the grid of overlay tiles, the large view, and the dialogs. It
// shows what package session computes and holds no inference logic of its
// own; every widget change from another goroutine goes through fyne.Do.
package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"camscope/app/display"
	"camscope/app/explain"
	"camscope/app/photo"
	"camscope/app/session"
	"camscope/assets"
	"camscope/inference/cam"
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
	Funcs      session.Funcs
	// ModelDir is where downloaded models are kept; "" is
	// catalogue.CacheDir(). CatalogueBase replaces catalogue.ZooBase.
	ModelDir      string
	CatalogueBase string
	// Shown, when set, is called on the UI goroutine after each outcome has
	// been shown (tests and the snapshot wait on it).
	Shown func(session.Outcome)
	// Do runs a function on the UI goroutine; nil is fyne.Do. Tests queue
	// the functions and run them on the test's goroutine, as the desktop
	// driver runs them on its own.
	Do func(func())
}

// App is one CAMscope window and its state. All fields are owned by the UI
// goroutine.
type App struct {
	fyne   fyne.App
	Window fyne.Window
	runner *session.Runner
	opts   Options

	photo       *photo.Photo
	photoPath   string
	models      []*explain.Model
	req         explain.Request
	sameClasses bool
	view        display.View
	results     []*explain.Result
	scene       *display.Scene
	tiles       []*widgets.Tile
	busy        bool
	took        time.Duration
	detail      *detail
	downloads   []*download

	grid     *fyne.Container
	gridLay  *widgets.AspectGrid
	center   *fyne.Container
	empty    *widget.Label
	emptyBox fyne.CanvasObject
	c        controls
	activity *widget.Activity
	status   *widget.Label
	cancel   *widget.Button
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
	a := &App{fyne: fa, opts: opts, view: display.DefaultView(),
		req: explain.Request{Method: cam.CAM, TopK: explain.DefaultTopK}}
	a.loadPrefs()
	a.runner = session.NewRunner(opts.Funcs, func(o session.Outcome) {
		opts.Do(func() {
			if a.runner.Current(o.Gen) {
				a.show(o)
			}
		})
	})
	a.Window = fa.NewWindow("CAMscope")
	a.Window.SetContent(a.build())
	a.setEmpty("Open a photo (Ctrl+O) or drop one on the window to see where the model looks.")
	a.Window.Resize(fyne.NewSize(1280, 800))
	a.Window.SetMainMenu(a.menu())
	a.shortcuts()
	a.Window.SetOnDropped(a.dropped)
	return a
}

// Start loads the photo and models given in the options, or the sample
// photo and the default model.
func (a *App) Start() {
	job := session.Job{PhotoPath: a.opts.ImagePath, ModelPaths: a.opts.ModelPaths, Default: true}
	if job.PhotoPath == "" {
		job.Photo = session.SamplePhoto()
	} else {
		a.remember(job.PhotoPath)
	}
	a.submit(job)
}

func (a *App) build() fyne.CanvasObject {
	a.gridLay = &widgets.AspectGrid{CaptionHeight: widgets.CaptionHeight()}
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
	hint := widget.NewLabelWithStyle("Photos: PNG, JPEG, GIF, BMP, TIFF, WebP · models: ONNX image classifiers · or drop files here",
		fyne.TextAlignCenter, fyne.TextStyle{})
	hint.SizeName = theme.SizeNameCaptionText
	a.emptyBox = container.NewCenter(container.NewVBox(pic, a.empty, container.NewCenter(container.NewHBox(photo, model, get)), hint))
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

// submit starts a run with the current request.
func (a *App) submit(job session.Job) {
	job.Request = a.req
	job.SameClasses = a.sameClasses
	job.View = a.view
	a.setBusy(true)
	a.runner.Submit(job)
}

// rerun explains the current photo again with the current models.
func (a *App) rerun() {
	if a.photo == nil {
		return
	}
	a.submit(session.Job{Photo: a.photo, PhotoPath: "", Models: a.models})
}

// Cancel stops the run in flight; what is shown stays.
func (a *App) Cancel() {
	a.runner.Cancel()
	a.setBusy(false)
	a.status.SetText("Cancelled.")
}

func (a *App) setBusy(b bool) {
	a.busy = b
	if b {
		a.activity.Show()
		a.activity.Start()
		a.cancel.Show()
		a.status.SetText("Explaining…")
	} else {
		a.activity.Stop()
		a.activity.Hide()
		a.cancel.Hide()
	}
}

// show takes a current outcome onto the screen.
func (a *App) show(o session.Outcome) {
	a.setBusy(false)
	defer func() {
		if a.opts.Shown != nil {
			a.opts.Shown(o)
		}
	}()
	if o.Err != nil {
		a.status.SetText("")
		if !errors.Is(o.Err, context.Canceled) {
			a.showError(o.Err)
		}
		if a.photo == nil && o.Photo != nil {
			a.photo, a.photoPath = o.Photo, o.PhotoPath
			a.refreshInfo()
			a.refreshTiles()
		}
		return
	}
	if o.Photo != nil {
		a.photo = o.Photo
		if o.PhotoPath != "" {
			a.photoPath = o.PhotoPath
		}
	}
	if len(o.Models) > 0 {
		a.models = o.Models
	}
	a.results = o.Results
	a.took = o.Took
	method := a.req.Method
	a.refreshInfo()
	if a.req.Method != method && len(a.models) > 1 {
		// A model without CAM joined: every row is explained alike.
		defer a.rerun()
	}
	a.scene = o.Scene
	switch {
	case a.scene == nil || !a.scene.Fits(a.view):
		// The normalisation changed while the model ran.
		a.rebuildScene()
	case o.View != a.view:
		a.scene.Show(a.view)
	}
	a.refreshTiles()
	a.status.SetText(a.summary())
	if a.photo != nil {
		a.Window.SetTitle("CAMscope — " + a.photo.Name)
	}
}

func (a *App) summary() string {
	if len(a.results) == 0 || a.photo == nil {
		return ""
	}
	var names []string
	for _, m := range a.models {
		names = append(names, m.Name)
	}
	return fmt.Sprintf("%s · %s · %s · %d ms", a.photo.Name, strings.Join(names, ", "),
		methodName(a.req.Method), a.took.Milliseconds())
}

// rebuildScene prepares the heats for the current results and view.
func (a *App) rebuildScene() {
	switch {
	case a.photo == nil || len(a.results) == 0:
		a.scene = nil
	case a.scene != nil:
		a.scene = a.scene.Rescale(a.results, a.view)
	default:
		a.scene = display.NewScene(a.photo.Image, a.results, a.view, display.DisplaySide)
	}
}

// showError puts err in a dialog.
func (a *App) showError(err error) {
	dialog.ShowError(err, a.Window)
}

func methodName(m cam.Method) string {
	if m == cam.GradCAM {
		return "Grad-CAM"
	}
	return "CAM"
}
