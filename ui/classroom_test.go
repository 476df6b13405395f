package ui

import (
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"camscope/app/photo"
	"camscope/app/session"
	"camscope/app/session/sessiontest"
)

// fixedFuncs are the real steps with the fixed explanation.
func fixedFuncs() session.Funcs {
	f := session.DefaultFuncs()
	f.Explain = sessiontest.FixedExplain
	return f
}

func firstModelName(a *App) string {
	if ms := a.s.Models(); len(ms) > 0 {
		return ms[0].Name
	}
	return ""
}

// galleryCards are the gallery dialog's cards, in session.Samples' order.
func galleryCards(h *harness) []*widget.Button {
	var cards []*widget.Button
	walk(h.Window.Canvas().Overlays().Top(), func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Text == "" {
			cards = append(cards, b)
		}
	})
	return cards
}

// TestGalleryAndBuiltins: the gallery offers the shipped photos and all
// eight shapes scenes, one click opens one with the model that fits; the
// shapes model on a photo shows a note with a button to MobileNetV2, and
// the Models menu leads back to either built-in model.
func TestGalleryAndBuiltins(t *testing.T) {
	h := newHarnessDefaults(t, Options{Funcs: fixedFuncs()})
	h.Start()
	h.wait(t)
	h.GalleryDialog()
	cards, samples := galleryCards(h), session.Samples()
	if len(cards) != len(samples) || len(samples) < 14 {
		t.Fatalf("%d cards for %d samples", len(cards), len(samples))
	}
	top := h.Window.Canvas().Overlays().Top()
	for _, s := range []string{"circle", "square", "triangle", "star", "cross", "ring", "heart", "pentagon", "Two dogs"} {
		if !hasText(top, s) {
			t.Errorf("the gallery lacks %q", s)
		}
	}
	test.Tap(cards[0]) // Two dogs
	h.wait(t)
	// The arrow keys walk the gallery.
	h.typedKey(&fyne.KeyEvent{Name: fyne.KeyRight})
	h.wait(t)
	if h.s.Photo().Name != samples[1].Name {
		t.Fatalf("Right after %s: %s, want %s", samples[0].Name, h.s.Photo().Name, samples[1].Name)
	}
	h.typedKey(&fyne.KeyEvent{Name: fyne.KeyLeft})
	h.wait(t)
	if h.Window.Canvas().Overlays().Top() != nil || firstModelName(h.App) != session.ImageNetName || h.s.Photo().Name != samples[0].Name {
		t.Fatalf("after a click on %s: model %s, photo %s", samples[0].Title, firstModelName(h.App), h.s.Photo().Name)
	}
	if h.notes.box.Visible() {
		t.Errorf("a note on MobileNetV2: %q", h.notes.shapes.Text)
	}
	h.GalleryDialog()
	test.Tap(galleryCards(h)[len(samples)-1]) // pentagon
	h.wait(t)
	if firstModelName(h.App) != session.BuiltinName || !strings.Contains(h.s.Photo().Name, "pentagon") {
		t.Fatalf("a shapes scene: model %s, photo %s", firstModelName(h.App), h.s.Photo().Name)
	}
	// Another model, then back to the shapes model on a photo.
	h.OpenPhoto(catPhoto)
	h.wait(t)
	h.OpenModel(mobileV1)
	h.wait(t)
	h.OpenBuiltin(session.BuiltinName)
	h.wait(t)
	if firstModelName(h.App) != session.BuiltinName || !h.notes.shapes.Visible() || !strings.Contains(h.notes.shapes.Text, "only eight shapes") || !h.notes.useNet.Visible() {
		t.Fatalf("shapes model on a photo: model %s, note %q shown %v", firstModelName(h.App), h.notes.shapes.Text, h.notes.shapes.Visible())
	}
	test.Tap(h.notes.useNet)
	h.wait(t)
	if firstModelName(h.App) != session.ImageNetName || h.notes.box.Visible() {
		t.Errorf("the note's button: model %s, note shown %v", firstModelName(h.App), h.notes.box.Visible())
	}
}

// TestAboutCreditsSamplePhotos: every shipped photo is credited in About.
func TestAboutCreditsSamplePhotos(t *testing.T) {
	for _, s := range session.Samples() {
		if !s.Shapes && !strings.Contains(aboutText, s.Title) {
			t.Errorf("About does not credit %s (%s)", s.Title, s.Name)
		}
	}
	if !strings.Contains(aboutText, "CC BY 2.0") || !strings.Contains(aboutText, "public domain") {
		t.Error("About does not name the photos' licences")
	}
}

// TestLabelsPicker: a 1001-class model without a labels file shows class
// numbers, a note and the ImageNet labels button, which names the classes.
func TestLabelsPicker(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "net.onnx")
	copyFile(t, mobileV1, model)
	h := newHarness(t, Options{ImagePath: catPhoto, ModelPaths: []string{model}, Funcs: fixedFuncs()})
	h.Start()
	h.wait(t)
	if titles := tileTitles(h.App); !strings.Contains(titles[0], "class 285") {
		t.Fatalf("without labels: %q", titles)
	}
	if !h.notes.labels.Visible() || !h.notes.imagenet.Visible() || !h.notes.file.Visible() || !strings.Contains(h.c.modelInfo.Text, "1001 classes") {
		t.Fatalf("no labels picker: note %q, model info %q", h.notes.labels.Text, h.c.modelInfo.Text)
	}
	test.Tap(h.notes.imagenet)
	h.wait(t)
	if titles := tileTitles(h.App); !strings.Contains(titles[0], "Siamese cat") { // 285 of 1001, background first
		t.Errorf("with ImageNet's labels: %q", titles)
	}
	if h.notes.box.Visible() {
		t.Errorf("the labels note stays: %q", h.notes.labels.Text)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		needData(t, err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestOpeningPhotoShowsIt: while a photo opens (a large one takes
// seconds), the window says so instead of looking like an empty start, in
// presentation mode too, where the empty state still fits 1024 pixels.
func TestOpeningPhotoShowsIt(t *testing.T) {
	for _, present := range []bool{false, true} {
		release := make(chan struct{})
		f := fixedFuncs()
		f.LoadPhoto = func(ctx context.Context, path string) (*photo.Photo, error) {
			<-release
			return photo.LoadContext(ctx, path)
		}
		h := newHarness(t, Options{ImagePath: catPhoto, ModelPaths: []string{mobileV2}, Funcs: f, Present: present})
		h.Start()
		if !h.emptyBox.Visible() || !strings.Contains(h.empty.Text, "Opening cat.png") || h.emptyButtons.Visible() || !strings.HasPrefix(h.status.Text, "Opening cat.png") {
			t.Errorf("present %v, while the photo opens: %q (buttons shown %v), status %q", present, h.empty.Text, h.emptyButtons.Visible(), h.status.Text)
		}
		h.setEmpty(startHint)
		h.emptyButtons.Show()
		if w := h.Window.Content().MinSize().Width; w > 1024 {
			t.Errorf("present %v: the empty window needs %v pixels", present, w)
		}
		close(release)
		h.wait(t)
		if h.emptyBox.Visible() || len(h.tiles) == 0 || strings.HasPrefix(h.status.Text, "Opening") {
			t.Errorf("present %v, after: empty state %v %q, %d tiles, status %q", present, h.emptyBox.Visible(), h.empty.Text, len(h.tiles), h.status.Text)
		}
	}
}

// TestExportShowsProgress: exporting maps for several models writes off the
// UI goroutine, with a dialog saying which model it is at.
func TestExportShowsProgress(t *testing.T) {
	h := newHarness(t, Options{ImagePath: catPhoto, ModelPaths: []string{mobileV2, mobileV1}, Funcs: fixedFuncs()})
	h.Start()
	h.wait(t)
	dir := t.TempDir()
	done := h.ExportAll(dir)
	select {
	case <-done:
		t.Fatal("the export finished on the UI goroutine")
	default:
	}
	if h.Window.Canvas().Overlays().Top() == nil || !strings.HasPrefix(h.exportNote.Text, "Writing") {
		t.Fatalf("no progress shown: %q", h.exportNote.Text)
	}
	var notes []string
	for {
		select {
		case f := <-h.queue:
			f()
			notes = append(notes, h.exportNote.Text)
			continue
		case <-done:
		}
		break
	}
	if !strings.Contains(strings.Join(notes, "|"), "Writing 2 of 2: mobilenet_v1") || !strings.HasPrefix(h.status.Text, "Exported to") {
		t.Errorf("progress %q, status %q", notes, h.status.Text)
	}
	if h.Window.Canvas().Overlays().Top() != nil {
		t.Error("the progress dialog stays")
	}
	for _, m := range []string{"mobilenet_v2_1.0_224", "mobilenet_v1_0.25_128"} {
		if _, err := os.Stat(filepath.Join(dir, m, "report.json")); err != nil {
			t.Error(err)
		}
	}
}

// writePhoto writes a w×h photo to path.
func writePhoto(t *testing.T, path string, w, h int) {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y += 8 {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.NRGBA{uint8(x), uint8(y), 90, 255})
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestLargeViewOfLargePhoto: the large view of a large photo opens at
// once (the grid does not freeze), its pictures follow, and the other
// classes' large views share the photo's scaled copy.
func TestLargeViewOfLargePhoto(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.png")
	writePhoto(t, big, 2600, 1800)
	h := newHarness(t, Options{ImagePath: big, ModelPaths: []string{mobileV2}, Funcs: fixedFuncs()})
	h.Start()
	h.wait(t)
	test.Tap(h.tiles[0])
	d := h.detail
	if d == nil || d.closeup != nil || !hasText(d.root, "Scaling the 2600×1800 photo") {
		t.Fatal("the large view of a large photo was made on the UI goroutine")
	}
	test.Tap(h.c.box) // the view changes meanwhile
	h.until(t, d.ready)
	if d.closeup == nil || d.overlay == nil || d.closeup.Photo.Rect.Dx() != detailSide {
		t.Fatal("no pictures in the large view")
	}
	// The next class shares the photo's copy: at once.
	h.typedKey(&fyne.KeyEvent{Name: fyne.KeyRight})
	if h.detail == d || h.detail.closeup == nil || h.detail.closeup.Photo != d.closeup.Photo {
		t.Error("the next class's large view scaled the photo again")
	}
}

// TestPresentationMode: F11 makes the window full screen with larger text
// and controls; Esc leaves.
func TestPresentationMode(t *testing.T) {
	h := newHarness(t, Options{ImagePath: catPhoto, ModelPaths: []string{mobileV2}, Funcs: fixedFuncs()})
	h.Start()
	h.wait(t)
	text, caption := theme.TextSize(), h.gridLay.Captions.One
	h.typedKey(&fyne.KeyEvent{Name: fyne.KeyF11})
	if !h.Window.FullScreen() || theme.TextSize() < 1.4*text || h.gridLay.Captions.One <= caption || h.sideWidth.MinSize().Width <= sidebarWidth {
		t.Fatalf("presentation: full screen %v, text %v (was %v), caption %v (was %v)", h.Window.FullScreen(), theme.TextSize(), text, h.gridLay.Captions.One, caption)
	}
	// At 1024x768 the window does not grow, in the grid or the large view.
	for _, view := range []string{"grid", "large view"} {
		if view == "large view" {
			h.OpenDetail(0)
		}
		if m := h.Window.Content().MinSize(); m.Width > 1024 || m.Height > 768 {
			t.Errorf("presentation, %s: the window needs %v", view, m)
		}
	}
	h.typedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if h.detail != nil || !h.Window.FullScreen() {
		t.Fatal("the first Esc should leave the large view, not presentation mode")
	}
	h.typedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if h.Window.FullScreen() || theme.TextSize() != text || h.gridLay.Captions.One != caption {
		t.Errorf("after Esc: full screen %v, text %v", h.Window.FullScreen(), theme.TextSize())
	}
}

// TestGoldenPresentation: presentation mode at 1024x768, the size of a
// projector.
func TestGoldenPresentation(t *testing.T) {
	h := newHarness(t, Options{ImagePath: catPhoto, ModelPaths: []string{mobileV2}, Funcs: fixedFuncs(), Present: true})
	h.Window.Resize(fyne.NewSize(1024, 768))
	h.Start()
	h.wait(t)
	h.status.SetText("cat.png · mobilenet_v2_1.0_224 · CAM")
	test.AssertImageMatches(t, "presentation_1024x768.png", h.Window.Canvas().Capture())
}

// TestArrowKeys: in the grid the arrows and Page Up/Down open the next or
// previous photo of the folder; in the large view they show the next or
// previous class; Esc leaves the large view.
func TestArrowKeys(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, catPhoto, filepath.Join(dir, "a.png"))
	copyFile(t, birdPhoto, filepath.Join(dir, "b.png"))
	h := newHarness(t, Options{ImagePath: filepath.Join(dir, "a.png"), ModelPaths: []string{mobileV2}, Funcs: fixedFuncs()})
	h.Start()
	h.wait(t)
	for _, k := range []fyne.KeyName{fyne.KeyRight, fyne.KeyPageDown, fyne.KeyLeft} {
		want := "b.png"
		if h.s.Photo().Name == "b.png" {
			want = "a.png"
		}
		h.typedKey(&fyne.KeyEvent{Name: k})
		h.wait(t)
		if h.s.Photo().Name != want {
			t.Fatalf("%s: photo %s, want %s", k, h.s.Photo().Name, want)
		}
	}
	h.OpenDetail(0)
	h.typedKey(&fyne.KeyEvent{Name: fyne.KeyRight})
	if h.detail == nil || h.detail.index != 1 {
		t.Fatal("Right did not show the next class")
	}
	h.typedKey(&fyne.KeyEvent{Name: fyne.KeyUp})
	h.typedKey(&fyne.KeyEvent{Name: fyne.KeyUp})
	if h.detail.index != len(h.tiles)-1 || !strings.Contains(h.detail.title.Text, h.tiles[len(h.tiles)-1].Title()[3:]) {
		t.Errorf("Up twice from the second class: class %d, title %q", h.detail.index, h.detail.title.Text)
	}
	h.typedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if h.detail != nil {
		t.Error("Esc did not leave the large view")
	}
}

// TestArrowKeysLeaveExperimentsAlone: in an experiment the arrows do not
// step classes (which would close it); Esc leaves it, then presentation
// mode.
func TestArrowKeysLeaveExperimentsAlone(t *testing.T) {
	h := experimentHarness(t)
	h.SetPresentation(true)
	test.Tap(h.detail.layers)
	if h.scrubber == nil {
		t.Fatal("the Layers button opened nothing")
	}
	h.typedKey(&fyne.KeyEvent{Name: fyne.KeyRight})
	if h.scrubber == nil || h.detail.index != 0 {
		t.Error("Right closed the experiment")
	}
	h.typedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if h.scrubber != nil || h.detail != nil || !h.presenting {
		t.Errorf("the first Esc: experiment open %v, presenting %v", h.scrubber != nil, h.presenting)
	}
	h.typedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if h.presenting {
		t.Error("the second Esc did not leave presentation mode")
	}
	h.drain()
}

// TestPresentationInLargeViewResizesRows: presentation mode switched on
// or off in the large view of a compare row leaves the rows, once back in
// the grid, as a grid built in that mode lays them out: captions and row
// names at the new size.
func TestPresentationInLargeViewResizesRows(t *testing.T) {
	h := compareHarness(t, fyne.NewSize(1024, 768))
	type place struct {
		pos  fyne.Position
		size fyne.Size
	}
	places := func() []place {
		var out []place
		for _, tile := range h.tiles {
			out = append(out, place{h.fyne.Driver().AbsolutePositionForObject(tile), tile.Size()})
		}
		return out
	}
	for _, on := range []bool{true, false} {
		h.OpenDetail(0)
		h.SetPresentation(on)
		h.closeDetail()
		got := places()
		h.refreshTiles()
		if want := places(); !slices.Equal(got, want) {
			t.Errorf("presentation %v: tiles at %v, a rebuilt grid has them at %v", on, got[:2], want[:2])
		}
	}
}
