package ui

import (
	"bytes"
	"context"
	"image"
	"image/draw"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"camscope/app/explain"
	"camscope/app/faithfulness"
	"camscope/app/session"
	"camscope/app/session/sessiontest"
)

func TestParseSize(t *testing.T) {
	tests := map[string]struct {
		in   string
		w, h int
		ok   bool
	}{
		"plain":     {"1280x800", 1280, 800, true},
		"upper":     {"1024X700", 1024, 700, true},
		"too small": {"100x100", 0, 0, false},
		"garbage":   {"big", 0, 0, false},
	}
	for name, tc := range tests {
		w, h, err := parseSize(tc.in)
		if w != tc.w || h != tc.h || (err == nil) != tc.ok {
			t.Errorf("%s: %d %d %v", name, w, h, err)
		}
	}
}

func TestMainSnapshot(t *testing.T) {
	if _, err := os.Stat(mobileV2); err != nil {
		needData(t, err)
	}
	out := filepath.Join(t.TempDir(), "shot.png")
	var stderr bytes.Buffer
	code := Main([]string{"--snapshot", out, "--image", catPhoto, "--model", mobileV2, "--size", "1024x700"}, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	img := decodePNG(t, out)
	if img.Bounds().Dx() != 1024 || img.Bounds().Dy() != 700 {
		t.Errorf("snapshot %v", img.Bounds())
	}
	// Not blank: the tiles have many colours.
	colours := map[uint32]bool{}
	for y := 0; y < 700; y += 7 {
		for x := 0; x < 1024; x += 7 {
			r, g, b, _ := img.At(x, y).RGBA()
			colours[r>>8<<16|g>>8<<8|b>>8] = true
		}
	}
	if len(colours) < 500 {
		t.Errorf("snapshot has %d colours: blank?", len(colours))
	}
}

func TestMainErrors(t *testing.T) {
	var stderr bytes.Buffer
	if code := Main([]string{"--snapshot", filepath.Join(t.TempDir(), "x.png"), "--image", "missing.png"}, &stderr); code != 1 || !strings.Contains(stderr.String(), "missing.png") {
		t.Errorf("missing photo: exit %d, %q", code, stderr.String())
	}
	stderr.Reset()
	if code := Main([]string{"frobnicate"}, &stderr); code != 2 || !strings.Contains(stderr.String(), "unknown command") {
		t.Errorf("unknown command: exit %d, %q", code, stderr.String())
	}
	stderr.Reset()
	if code := Main([]string{"--size", "9x9", "--snapshot", "x.png"}, &stderr); code != 2 {
		t.Errorf("bad size: exit %d", code)
	}
}

// TestMainWithoutDisplay: with no display the app says so and what to do
// instead, rather than stopping with GLFW's stack trace.
func TestMainWithoutDisplay(t *testing.T) {
	t.Setenv("WAYLAND_DISPLAY", "")
	for _, d := range []string{"", ":4242"} {
		t.Setenv("DISPLAY", d)
		if noDisplay() == "" {
			t.Fatalf("DISPLAY=%q: no display found missing; Main would open a window", d)
		}
		var stderr bytes.Buffer
		code := Main(nil, &stderr)
		if code != 1 || !strings.Contains(stderr.String(), "--snapshot") || !strings.Contains(stderr.String(), "display") {
			t.Errorf("DISPLAY=%q: exit %d, %q", d, code, stderr.String())
		}
	}
}

func TestX11Address(t *testing.T) {
	for d, want := range map[string]string{
		":0":          "unix /tmp/.X11-unix/X0",
		":99.0":       "unix /tmp/.X11-unix/X99",
		"unix:3":      "unix /tmp/.X11-unix/X3",
		"host:10.0":   "tcp host:6010",
		"[::1]:1":     "",
		"/tmp/launch": "",
		"nonsense":    "",
	} {
		network, addr, ok := x11Address(d)
		got := ""
		if ok {
			got = network + " " + addr
		}
		if got != want {
			t.Errorf("%q: %q, want %q", d, got, want)
		}
	}
}

// TestSnapshotViews: --snapshot-view shows the first tile's occlusion
// experiment or layer scrubber once its pictures are there; another view
// is refused.
func TestSnapshotViews(t *testing.T) {
	if _, err := os.Stat(mobileV2); err != nil {
		needData(t, err)
	}
	dir := t.TempDir()
	pixels := map[string]string{}
	for _, view := range []string{"grid", "occlusion", "layers"} {
		out := filepath.Join(dir, view+".png")
		var stderr bytes.Buffer
		if code := Main([]string{"--snapshot", out, "--image", catPhoto, "--model", mobileV2, "--size", "1024x700", "--snapshot-view", view}, &stderr); code != 0 {
			t.Fatalf("%s: exit %d: %s", view, code, stderr.String())
		}
		img := decodePNG(t, out)
		rgba := image.NewRGBA(img.Bounds())
		draw.Draw(rgba, rgba.Rect, img, image.Point{}, draw.Src)
		pixels[view] = string(rgba.Pix)
	}
	if pixels["occlusion"] == pixels["grid"] || pixels["layers"] == pixels["grid"] || pixels["layers"] == pixels["occlusion"] {
		t.Error("the experiments' snapshots show the grid")
	}
	var stderr bytes.Buffer
	if code := Main([]string{"--snapshot", filepath.Join(dir, "x.png"), "--snapshot-view", "nowhere"}, &stderr); code != 2 || !strings.Contains(stderr.String(), "occlusion") {
		t.Errorf("unknown view: exit %d, %q", code, stderr.String())
	}
}

// TestOpenSnapshotView: the snapshot waits for the large view's curves,
// the occlusion experiment's first outcome and the layers' maps.
func TestOpenSnapshotView(t *testing.T) {
	h := experimentHarness(t)
	wait := func(what string, done func() bool) error {
		h.runUntil(t, what, done)
		return nil
	}
	if err := h.openSnapshotView("large", wait); err != nil || h.detail == nil || len(h.detail.metrics.plot.Curves) != 2 || strings.Contains(h.detail.metrics.text.Text, "Measuring") {
		t.Errorf("large: %v, the panel says %q", err, h.detail.metrics.text.Text)
	}
	if err := h.openSnapshotView("occlusion", wait); err != nil || h.occlusion == nil || !h.occlusion.shown {
		t.Errorf("occlusion: %v, %+v", err, h.occlusion)
	}
	if err := h.openSnapshotView("layers", wait); err != nil || h.scrubber == nil || !h.scrubber.ready {
		t.Errorf("layers: %v, %+v", err, h.scrubber)
	}
}

// TestSnapshotScoresTimeout: a snapshot of the large view whose map is
// never measured ends with a sentence saying so, not with "Measuring…"
// in the picture, and writes nothing.
func TestSnapshotScoresTimeout(t *testing.T) {
	for _, p := range []string{mobileV2, catPhoto} {
		if _, err := os.Stat(p); err != nil {
			needData(t, err)
		}
	}
	f := session.DefaultFuncs()
	f.Explain = sessiontest.FixedExplain
	f.Measure = func(ctx context.Context, _ *explain.Result, _ int) (faithfulness.Scores, error) {
		<-ctx.Done()
		return faithfulness.Scores{}, ctx.Err()
	}
	out := filepath.Join(t.TempDir(), "shot.png")
	opts := Options{ImagePath: catPhoto, ModelPaths: []string{mobileV2}, Funcs: f, ModelDir: t.TempDir()}
	// Long enough for the first result on a machine busy with other
	// builds (each wait has the whole bound); the scores never come.
	err := Snapshot(out, opts, fyne.NewSize(1024, 768), "large", 30*time.Second)
	if err == nil || !strings.Contains(err.Error(), "faithfulness scores") || !strings.Contains(err.Error(), "30s") {
		t.Errorf("got %v, want a sentence on the scores not measured in 30s", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("the snapshot was written anyway: %v", err)
	}
}
