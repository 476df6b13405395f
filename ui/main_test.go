package ui

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
