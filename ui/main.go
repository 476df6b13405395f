package ui

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"camscope/app/cliflag"
)

// snapshotTimeout bounds each wait in snapshot mode: for the first
// result, then for what the view asked for shows.
const snapshotTimeout = 2 * time.Minute

// Main runs the desktop app with the given arguments and returns the exit
// code: --image and --model (repeatable: compare) choose the first inputs,
// --compare-methods opens the compare-methods view, --present starts in
// presentation mode, --snapshot FILE.png renders the window to a file
// (with --snapshot-view, the first tile's large view or an experiment) and
// exits.
func Main(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("camscope", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts Options
	var models cliflag.Strings
	fs.StringVar(&opts.ImagePath, "image", "", "photo to open")
	fs.Var(&models, "model", "ONNX or TFLite model to open, or builtin:mobilenet-v2 or builtin:shapes (repeat to compare up to four)")
	fs.BoolVar(&opts.CompareMethods, "compare-methods", false, "open the compare-methods view (one row per method)")
	fs.BoolVar(&opts.Present, "present", false, "start in presentation mode: full screen, large text (F11 switches)")
	snapshot := fs.String("snapshot", "", "render the window for the given inputs to this PNG file and exit")
	size := fs.String("size", "1280x800", "window size for --snapshot, WIDTHxHEIGHT")
	view := fs.String("snapshot-view", "grid", "what --snapshot shows: "+strings.Join(SnapshotViews, ", ")+
		" (the first tile's large view, occlusion experiment or layer scrubber)")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "camscope: unknown command %q. Run 'camscope help' for the list of commands.\n", fs.Arg(0))
		return 2
	}
	opts.ModelPaths = models
	if *snapshot != "" {
		w, h, err := parseSize(*size)
		if err != nil {
			fmt.Fprintln(stderr, "camscope:", err)
			return 2
		}
		if !slices.Contains(SnapshotViews, *view) {
			fmt.Fprintf(stderr, "camscope: --snapshot-view %q: give one of %s\n", *view, strings.Join(SnapshotViews, ", "))
			return 2
		}
		if err := Snapshot(*snapshot, opts, fyne.NewSize(float32(w), float32(h)), *view, snapshotTimeout); err != nil {
			fmt.Fprintln(stderr, "camscope:", err)
			return 1
		}
		return 0
	}
	if why := noDisplay(); why != "" {
		fmt.Fprintf(stderr, "camscope: %s. To see the maps without a window, render the window to a file "+
			"(camscope --snapshot shot.png --image PHOTO) or write them as files (camscope explain --image PHOTO); "+
			"on a remote machine, connect with ssh -X or start a virtual display (Xvfb).\n", why)
		return 1
	}
	fa := app.NewWithID(AppID)
	fa.SetIcon(Icon)
	a := New(fa, opts)
	a.Start()
	a.Window.ShowAndRun()
	return 0
}

func parseSize(s string) (w, h int, err error) {
	ws, hs, ok := strings.Cut(strings.ToLower(s), "x")
	if ok {
		w, err = strconv.Atoi(ws)
		if err == nil {
			h, err = strconv.Atoi(hs)
		}
	}
	if !ok || err != nil || w < 320 || h < 240 || w > 8192 || h > 8192 {
		return 0, 0, fmt.Errorf("--size %q: give WIDTHxHEIGHT, e.g. 1280x800 (320x240 to 8192x8192)", s)
	}
	return w, h, nil
}
