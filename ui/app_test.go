package ui

import (
	"context"
	"errors"
	"image"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"camscope/app/display"
	"camscope/app/explain"
	"camscope/app/session"
	"camscope/app/session/sessiontest"
)

// Reference files shared with the other packages' tests (not part of the
// repository).
const (
	shared    = "../../shared/"
	mobileV2  = shared + "models/mobilenet_v2_1.0_224.onnx"
	mobileV1  = shared + "models/mobilenet_v1_0.25_128.onnx"
	catPhoto  = shared + "images/cat.png"
	dogPhoto  = shared + "images/dog_test_0.png"
	birdPhoto = shared + "images/bird.png"
)

// harness is a window driven by a test, with a count of model runs and a
// channel of the outcomes it showed.
type harness struct {
	*App
	shown chan session.Outcome
	queue chan func() // what the app asked to run on the UI goroutine
	runs  atomic.Int32
}

func newHarness(t testing.TB, opts Options) *harness {
	t.Helper()
	if opts.Funcs.Explain == nil {
		opts.Funcs = session.DefaultFuncs()
	}
	opts.Funcs.DefaultModel = func() (*explain.Model, error) { return nil, session.ErrNoModel }
	opts.Funcs.PhotoModel = opts.Funcs.DefaultModel
	return newHarnessDefaults(t, opts)
}

// newHarnessDefaults is newHarness with the built-in models of
// opts.Funcs (the real ones when it has none).
func newHarnessDefaults(t testing.TB, opts Options) *harness {
	t.Helper()
	for _, p := range []string{mobileV2, catPhoto} {
		if _, err := os.Stat(p); err != nil {
			needData(t, err)
		}
	}
	test.NewTempApp(t)
	h := &harness{shown: make(chan session.Outcome, 16), queue: make(chan func(), 256)}
	opts.Do = func(f func()) { h.queue <- f }
	if opts.Funcs.Explain == nil {
		opts.Funcs = session.DefaultFuncs()
	}
	explainFn := opts.Funcs.Explain
	opts.Funcs.Explain = func(ctx context.Context, m *explain.Model, img *image.RGBA, req explain.Request) (*explain.Result, error) {
		h.runs.Add(1)
		return explainFn(ctx, m, img, req)
	}
	if opts.Funcs.Measure == nil {
		// The scores do not depend on the CPU, and no test waits for a
		// measurement it does not look at.
		opts.Funcs.Measure = sessiontest.FixedMeasure
	}
	if opts.ModelDir == "" {
		opts.ModelDir = t.TempDir()
	}
	opts.Shown = func(o session.Outcome) { h.shown <- o }
	h.App = New(fyne.CurrentApp(), opts)
	h.Window.Resize(fyne.NewSize(1280, 800))
	t.Cleanup(func() { h.s.Close() })
	return h
}

// wait runs the UI goroutine's work, as the desktop driver's loop would,
// until an outcome has been shown, and returns it.
func (h *harness) wait(t testing.TB) session.Outcome {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case o := <-h.shown:
			return o
		case f := <-h.queue:
			f()
		case <-timeout:
			t.Fatal("no result shown within a minute")
		}
	}
}

// until runs the UI goroutine's work until done is closed, then what is
// left.
func (h *harness) until(t testing.TB, done <-chan struct{}) {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case f := <-h.queue:
			f()
		case <-done:
			h.drain()
			return
		case <-timeout:
			t.Fatal("not done within a minute")
		}
	}
}

// drain runs the UI work queued so far.
func (h *harness) drain() {
	for {
		select {
		case f := <-h.queue:
			f()
		default:
			return
		}
	}
}

// started opens cat.png with MobileNet V2 and waits for its tiles.
func started(t testing.TB) *harness {
	t.Helper()
	h := newHarness(t, Options{ImagePath: catPhoto, ModelPaths: []string{mobileV2}})
	h.Start()
	if o := h.wait(t); o.Err != nil {
		t.Fatal(o.Err)
	}
	return h
}

func tilePixels(h *harness, i int) []byte {
	return append([]byte(nil), h.s.Scene().Tiles()[i].Image.Pix...)
}

func same(a, b []byte) bool { return string(a) == string(b) }

func TestOpenPhotoAndModel(t *testing.T) {
	h := started(t)
	tiles := tileTitles(h.App)
	if len(tiles) != 5 || tiles[0] != "1. Egyptian cat" {
		t.Fatalf("tiles %q", tiles)
	}
	if got := h.c.modelName.Text; got != "mobilenet_v2_1.0_224" {
		t.Errorf("model name %q", got)
	}
	if got := h.c.modelInfo.Text; !strings.Contains(got, "224×224") || !strings.Contains(got, "1001 classes") || !strings.Contains(got, "7×7") {
		t.Errorf("model info %q", got)
	}
	if h.s.Busy() || !h.activity.Hidden {
		t.Error("still busy after the result")
	}
	// A photo keeps its aspect ratio in the tiles.
	b := h.s.Scene().Photo.Rect
	if ar := float32(b.Dx()) / float32(b.Dy()); h.gridLay.Aspect != ar {
		t.Errorf("grid aspect %v, photo %v", h.gridLay.Aspect, ar)
	}
	h.OpenPhoto(dogPhoto)
	if o := h.wait(t); o.Err != nil || h.s.Photo().Name != filepath.Base(dogPhoto) {
		t.Fatalf("second photo: %v, %s", o.Err, h.s.Photo().Name)
	}
}

func TestTopK(t *testing.T) {
	h := started(t)
	h.c.k.SetValue(3)
	h.c.k.DragEnd()
	h.wait(t)
	if n := len(tileTitles(h.App)); n != 3 {
		t.Fatalf("%d tiles, want 3", n)
	}
	if h.c.kValue.Text != "3" {
		t.Errorf("k label %q", h.c.kValue.Text)
	}
}

func TestOpacityReblendsWithoutRunning(t *testing.T) {
	h := started(t)
	runs := h.runs.Load()
	before := tilePixels(h, 0)
	h.c.opacity.SetValue(0)
	if !same(tilePixels(h, 0), h.s.Scene().Photo.Pix) {
		t.Error("opacity 0 does not show the plain photo")
	}
	h.c.opacity.SetValue(80)
	after := tilePixels(h, 0)
	if same(before, after) {
		t.Error("opacity change did not re-render the tile")
	}
	if h.s.View().Opacity != 0.8 || h.c.opValue.Text != "80%" {
		t.Errorf("opacity %v, label %q", h.s.View().Opacity, h.c.opValue.Text)
	}
	if h.runs.Load() != runs {
		t.Error("opacity change ran the model")
	}
	h.c.opacity.DragEnd()
	if p := h.fyne.Preferences().Float(prefOpacity); p != 0.8 {
		t.Errorf("opacity preference %v", p)
	}
}

func TestColormap(t *testing.T) {
	h := started(t)
	runs := h.runs.Load()
	before := tilePixels(h, 0)
	bar := h.c.colorBar.Image
	h.c.colormap.SetSelected("gray")
	if same(before, tilePixels(h, 0)) || h.c.colorBar.Image == bar {
		t.Error("colormap change did not re-colour tiles and bar")
	}
	if h.s.View().Colormap.Name() != "gray" || h.fyne.Preferences().String(prefColormap) != "gray" {
		t.Error("colormap not applied or not remembered")
	}
	if h.runs.Load() != runs {
		t.Error("colormap change ran the model")
	}
	// The next window starts with the remembered colormap.
	h2 := New(h.fyne, Options{Funcs: h.opts.Funcs})
	if h2.s.View().Colormap.Name() != "gray" || h2.c.colormap.Selected != "gray" {
		t.Error("colormap not restored from preferences")
	}
}

func TestBoxContourAndThreshold(t *testing.T) {
	h := started(t)
	runs := h.runs.Load()
	plain := tilePixels(h, 0)
	test.Tap(h.c.box)
	boxed := tilePixels(h, 0)
	if !h.s.View().Box || same(plain, boxed) {
		t.Fatal("box not drawn")
	}
	h.c.threshold.SetValue(60)
	if h.s.View().BoxThreshold != 0.6 || same(boxed, tilePixels(h, 0)) {
		t.Error("threshold change did not move the box")
	}
	test.Tap(h.c.contour)
	if !h.s.View().Contour {
		t.Error("contour not on")
	}
	if h.runs.Load() != runs {
		t.Error("box, threshold or contour ran the model")
	}
}

func TestMethod(t *testing.T) {
	h := started(t)
	h.c.method.SetSelected(session.MethodName(explain.GradCAM))
	h.wait(t)
	if m := h.s.Results()[0].Request.Method; m != explain.GradCAM {
		t.Fatalf("method %s", m)
	}
	if tileTitles(h.App)[0] != "1. Egyptian cat" {
		t.Errorf("tiles %q", tileTitles(h.App))
	}
	h.c.method.SetSelected(session.MethodName(explain.EigenCAM))
	h.wait(t)
	if m := h.s.Results()[0].Request.Method; m != explain.EigenCAM || !strings.Contains(h.c.methodHelp.Text, "same map for every class") {
		t.Errorf("method %s, help %q", m, h.c.methodHelp.Text)
	}
}

func TestNormalisationShared(t *testing.T) {
	h := started(t)
	runs := h.runs.Load()
	before := tilePixels(h, 4)
	h.c.norm.SetSelected("Shared")
	if h.s.View().Scale != display.PerResult || same(before, tilePixels(h, 4)) {
		t.Error("shared scale did not change the weakest tile")
	}
	if h.runs.Load() != runs {
		t.Error("normalisation ran the model")
	}
}

func TestTileClickLargeViewAndHover(t *testing.T) {
	h := started(t)
	test.Tap(h.tiles[1])
	if h.detail == nil || h.detail.index != 1 {
		t.Fatal("tap did not open the large view")
	}
	d := h.detail
	size := fyne.NewSize(500, 400)
	d.overlay.Resize(size)
	unmarked := append([]byte(nil), d.closeup.Image.Pix...)
	d.overlay.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(250, 200)}})
	if v := detailValue(h.App); !strings.HasPrefix(v, "Map value") || !strings.Contains(v, "of 7×7") {
		t.Errorf("hover value %q", v)
	}
	if same(unmarked, d.closeup.Image.Pix) {
		t.Error("the cell under the pointer is not outlined")
	}
	d.overlay.MouseOut()
	if !same(unmarked, d.closeup.Image.Pix) {
		t.Error("the outline stays after the pointer left")
	}
	if v := detailValue(h.App); strings.HasPrefix(v, "Map value") {
		t.Errorf("value %q after the pointer left", v)
	}
	// The large view follows the view controls too.
	before := append([]byte(nil), d.closeup.Image.Pix...)
	h.c.opacity.SetValue(90)
	if same(before, d.closeup.Image.Pix) {
		t.Error("large view not re-rendered")
	}
	h.closeDetail()
	if h.detail != nil || h.center.Objects[0] != h.grid || len(h.grid.Objects) != 1 {
		t.Error("back did not return to the grid")
	}
}

func TestClassSearch(t *testing.T) {
	h := started(t)
	test.Type(h.c.search, "golden retriever")
	h.c.search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.wait(t)
	tiles := tileTitles(h.App)
	if len(tiles) != 6 || !strings.Contains(tiles[5], "golden retriever") || strings.HasPrefix(tiles[5], "6.") {
		t.Fatalf("tiles %q", tiles)
	}
	if !strings.HasPrefix(h.c.searchNote.Text, "Added golden retriever") {
		t.Errorf("note %q", h.c.searchNote.Text)
	}
	h.SearchClass("no such animal")
	if !strings.HasPrefix(h.c.searchNote.Text, "No class label contains") {
		t.Errorf("note %q", h.c.searchNote.Text)
	}
}

func TestCompareModels(t *testing.T) {
	h := started(t)
	if _, err := os.Stat(mobileV1); err != nil {
		needData(t, err)
	}
	h.s.Submit(session.Job{Photo: h.s.Photo(), ModelPaths: []string{mobileV2, mobileV1}})
	h.wait(t)
	if len(h.s.Scene().Rows) != 2 || h.gridLay.Columns != 5 || len(tileTitles(h.App)) != 10 {
		t.Fatalf("%d rows, %d columns, %d tiles", len(h.s.Scene().Rows), h.gridLay.Columns, len(tileTitles(h.App)))
	}
	if !strings.HasPrefix(tileTitles(h.App)[5], "1. ") {
		t.Errorf("second row %q", tileTitles(h.App)[5])
	}
	h.SetSameClasses(true)
	h.wait(t)
	a, b := h.s.Results()[0].Classes, h.s.Results()[1].Classes
	for i := range a {
		if a[i].Index != b[i].Index {
			t.Fatalf("row 2 class %d is %d, row 1 has %d", i, b[i].Index, a[i].Index)
		}
	}
	h.RemoveModel(1)
	h.wait(t)
	if len(h.s.Models()) != 1 {
		t.Errorf("%d models after removing one", len(h.s.Models()))
	}
}

func TestExport(t *testing.T) {
	h := started(t)
	dir := t.TempDir()
	h.until(t, h.ExportAll(dir))
	for _, f := range []string{"grid.png", "report.json", "01_Egyptian_cat.png", "01_Egyptian_cat.npy"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	grid := filepath.Join(dir, "screen-grid.png")
	writeGrid, err := h.GridWriter()
	if err != nil {
		t.Fatal(err)
	}
	if err := writeGrid(grid); err != nil {
		t.Fatal(err)
	}
	tile := filepath.Join(dir, "tile.png")
	writeTile, err := h.TileWriter(0)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeTile(tile); err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, tile)
	if img.Bounds().Size() != h.s.Photo().Image.Rect.Size() {
		t.Errorf("tile %v, photo %v", img.Bounds().Size(), h.s.Photo().Image.Rect.Size())
	}
	if g := decodePNG(t, grid); g.Bounds().Dx() < 3*h.s.Photo().Image.Rect.Dx() {
		t.Errorf("grid %v too small for 5 tiles", g.Bounds())
	}
}

func TestCancel(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	f := session.DefaultFuncs()
	f.Explain = func(ctx context.Context, m *explain.Model, img *image.RGBA, req explain.Request) (*explain.Result, error) {
		started <- struct{}{}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-release:
			return explain.Photo(ctx, m, img, req)
		}
	}
	h := newHarness(t, Options{ImagePath: catPhoto, ModelPaths: []string{mobileV2}, Funcs: f})
	h.Start()
	<-started
	if !h.s.Busy() || h.activity.Hidden || h.cancel.Hidden {
		t.Error("no busy indicator while running")
	}
	test.Tap(h.cancel)
	h.s.Wait()
	h.drain()
	if h.s.Busy() || len(h.tiles) != 0 || h.status.Text != "Cancelled." {
		t.Errorf("after cancel: busy %v, %d tiles, status %q", h.s.Busy(), len(h.tiles), h.status.Text)
	}
	select {
	case o := <-h.shown:
		t.Errorf("cancelled run shown: %+v", o)
	default:
	}
}

func TestNewPhotoWhileRunningShowsOnlyTheNewOne(t *testing.T) {
	h := started(t)
	h.OpenPhoto(dogPhoto)
	h.OpenPhoto(birdPhoto)
	o := h.wait(t)
	h.s.Wait()
	h.drain()
	if o.Photo.Name != "bird.png" || h.s.Photo().Name != "bird.png" {
		t.Fatalf("shown %s", o.Photo.Name)
	}
	select {
	case o := <-h.shown:
		t.Errorf("a second outcome was shown: %s", o.Photo.Name)
	default:
	}
}

func TestErrorsInDialog(t *testing.T) {
	h := started(t)
	tiles := tileTitles(h.App)
	for _, path := range []string{"missing.png", catPhoto + ".onnx"} {
		if strings.HasSuffix(path, ".onnx") {
			h.OpenModel(path)
		} else {
			h.OpenPhoto(path)
		}
		if o := h.wait(t); o.Err == nil {
			t.Fatalf("%s: no error", path)
		}
		if h.Window.Canvas().Overlays().Top() == nil {
			t.Errorf("%s: no error dialog", path)
		}
		h.Window.Canvas().Overlays().Remove(h.Window.Canvas().Overlays().Top())
		if got := tileTitles(h.App); len(got) != len(tiles) || got[0] != tiles[0] {
			t.Errorf("%s: tiles changed to %q", path, got)
		}
	}
}

func TestDropFiles(t *testing.T) {
	h := started(t)
	h.dropped(fyne.Position{}, []fyne.URI{storageURI(t, dogPhoto)})
	h.wait(t)
	if h.s.Photo().Name != filepath.Base(dogPhoto) {
		t.Errorf("dropped photo not opened: %s", h.s.Photo().Name)
	}
}

func TestNoModelHint(t *testing.T) {
	h := newHarness(t, Options{ImagePath: catPhoto})
	h.Start()
	h.wait(t)
	if len(h.tiles) != 0 || !strings.Contains(h.empty.Text, "Open a model") {
		t.Errorf("hint %q with %d tiles", h.empty.Text, len(h.tiles))
	}
}

func TestNothingToStartWith(t *testing.T) {
	h := newHarness(t, Options{})
	h.s.Submit(session.Job{})
	h.wait(t)
	if len(h.tiles) != 0 || !strings.HasPrefix(h.empty.Text, "Open a photo") {
		t.Errorf("hint %q with %d tiles", h.empty.Text, len(h.tiles))
	}
}

// With nothing given, the window starts offline with the built-in model on
// its sample scene.
func TestStartsWithBuiltinModel(t *testing.T) {
	test.NewTempApp(t)
	shown := make(chan session.Outcome, 4)
	queue := make(chan func(), 64)
	a := New(fyne.CurrentApp(), Options{Shown: func(o session.Outcome) { shown <- o }, Do: func(f func()) { queue <- f }})
	a.Start()
	for {
		select {
		case f := <-queue:
			f()
			continue
		case o := <-shown:
			if o.Err != nil {
				t.Fatal(o.Err)
			}
		case <-time.After(time.Minute):
			t.Fatal("no result")
		}
		break
	}
	if len(tileTitles(a)) != 5 || a.s.Models()[0].Name != session.BuiltinName || !strings.HasPrefix(a.s.Photo().Name, "sample_") {
		t.Errorf("%d tiles, model %s, photo %s", len(tileTitles(a)), a.s.Models()[0].Name, a.s.Photo().Name)
	}
}

// tileTitles returns the captions of the tiles shown, in order.
func tileTitles(a *App) []string {
	var out []string
	for _, t := range a.tiles {
		out = append(out, t.Title())
	}
	return out
}

// detailValue returns the large view's value line.
func detailValue(a *App) string {
	if a.detail == nil {
		return ""
	}
	return a.detail.value.Text
}

// TestClassSearchPickRemove: "retriever" lists its matches instead of
// adding one; a pick adds it, its x removes it, and a new photo starts
// without searched classes.
func TestClassSearchPickRemove(t *testing.T) {
	h := started(t)
	h.SearchClass("retriever")
	if len(h.c.picks.Objects) < 2 || !strings.Contains(h.c.searchNote.Text, "pick one") || h.s.Busy() {
		t.Fatalf("ambiguous search: %d picks, note %q, busy %v", len(h.c.picks.Objects), h.c.searchNote.Text, h.s.Busy())
	}
	pick := h.c.picks.Objects[1].(*widget.Button)
	test.Tap(pick)
	h.wait(t)
	tiles := tileTitles(h.App)
	if len(tiles) != 6 || !strings.Contains(pick.Text, "retriever") || !strings.Contains(tiles[5], "retriever") {
		t.Errorf("picked %q, tiles %q", pick.Text, tiles)
	}
	if len(h.c.searched.Objects) != 1 || len(h.c.picks.Objects) != 0 {
		t.Fatalf("%d searched classes listed, %d picks left", len(h.c.searched.Objects), len(h.c.picks.Objects))
	}
	test.Tap(h.c.searched.Objects[0].(*fyne.Container).Objects[1].(*widget.Button))
	h.wait(t)
	if n := len(tileTitles(h.App)); n != 5 || len(h.c.searched.Objects) != 0 {
		t.Errorf("after removing: %d tiles, %d listed", n, len(h.c.searched.Objects))
	}
	h.SearchClass("tabby")
	h.wait(t)
	h.OpenPhoto(dogPhoto)
	h.wait(t)
	if n := len(tileTitles(h.App)); n != 5 || len(h.c.searched.Objects) != 0 {
		t.Errorf("new photo: %d tiles, %d searched classes", n, len(h.c.searched.Objects))
	}
}

// TestErrorDialogKeepsFileNameAndStatus: an error that starts with a file
// name keeps its case, and a failed run leaves the status saying what is
// shown.
func TestErrorDialogKeepsFileNameAndStatus(t *testing.T) {
	h := started(t)
	status := h.status.Text
	h.showError(errors.New("notes.png is not a photo"))
	top := h.Window.Canvas().Overlays().Top()
	if top == nil || !strings.Contains(test.RenderObjectToMarkup(top), "notes.png is not a photo") {
		t.Error("the dialog does not show notes.png as it is spelt")
	}
	closeTop(h)
	h.OpenPhoto(filepath.Join(t.TempDir(), "missing.png"))
	if o := h.wait(t); o.Err == nil {
		t.Fatal("a missing photo opened")
	}
	if h.status.Text == "" || h.status.Text != status {
		t.Errorf("status %q after the error, want %q", h.status.Text, status)
	}
}

// TestThresholdFollowsBoxAndContour: the threshold is enabled only while
// the box or the contour shows.
func TestThresholdFollowsBoxAndContour(t *testing.T) {
	h := started(t)
	if !h.c.threshold.Disabled() {
		t.Error("threshold enabled with neither box nor contour")
	}
	test.Tap(h.c.contour)
	if h.c.threshold.Disabled() {
		t.Error("threshold disabled with the contour on")
	}
	test.Tap(h.c.contour)
	if !h.c.threshold.Disabled() {
		t.Error("threshold enabled after the contour went off")
	}
}

// TestCompareRefusesSameModel: adding a model already compared says so.
func TestCompareRefusesSameModel(t *testing.T) {
	h := started(t)
	h.AddModel(mobileV2)
	top := h.Window.Canvas().Overlays().Top()
	if top == nil || !strings.Contains(test.RenderObjectToMarkup(top), "already shows mobilenet_v2_1.0_224") || h.s.Busy() {
		t.Errorf("no refusal (busy %v)", h.s.Busy())
	}
}
