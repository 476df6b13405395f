package cli

import (
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"camscope/assets"
)

// TestExplainUsageErrors: every option value error exits 2 (usage).
func TestExplainUsageErrors(t *testing.T) {
	pets := filepath.Join(shared, "images", "pets.png")
	m := []string{"explain", "--image", pets, "--model", mobilenet, "--out", t.TempDir()}
	cases := map[string]struct {
		args []string
		says string
	}{
		"layout":            {append(m, "--layout", "NWHC"), "--layout"},
		"resize":            {append(m, "--resize", "fill"), "--resize"},
		"range":             {append(m, "--range", "0,2"), "--range"},
		"crop fraction":     {append(m, "--crop-fraction", "1.5"), "--crop-fraction"},
		"crop fraction NaN": {append(m, "--crop-fraction", "NaN"), "--crop-fraction"},
		"negative crop":     {append(m, "--resize", "center-crop", "--crop-fraction", "-0.5"), "--crop-fraction"},
		"crop fraction 0":   {append(m, "--resize", "center-crop", "--crop-fraction", "0"), "--crop-fraction 0: give a fraction in (0, 1]"},
		"top 0, no class":   {append(m, "--top", "0"), "--top 0 explains only the --class classes"},
		"mean NaN":          {append(m, "--mean", "NaN"), "--mean"},
		"std zero":          {append(m, "--std", "0,1,1"), "--std"},
		"std Inf":           {append(m, "--std", "Inf"), "--std"},
		"size too large":    {append(m, "--size", "100000"), "--size"},
		"layer, no model":   {[]string{"explain", "--image", pets, "--layer", "x"}, "need --model"},
		"range, no model":   {[]string{"explain", "--image", pets, "--range", "0,1"}, "need --model"},
		"opacity":           {append(m, "--opacity", "2"), "--opacity"},
		"box threshold":     {append(m, "--box-threshold", "NaN"), "--box-threshold"},
		"train lr NaN":      {[]string{"train-shapes", "--lr", "NaN", "--out", t.TempDir()}, "--lr"},
		"train lr Inf":      {[]string{"train-shapes", "--lr", "Inf", "--out", t.TempDir()}, "--lr"},
		"bench runs":        {[]string{"bench", "--model", mobilenet, "--runs", "0"}, "--runs"},
		"bench batch":       {[]string{"bench", "--model", mobilenet, "--batch", "0"}, "--batch 0: a batch holds at least 1 input"},
		"eval-loc n":        {[]string{"eval-loc", "--n", "0"}, "--n"},
		"run no out":        {[]string{"run", "--model", mobilenet, "--input", "x.npy"}, "--out"},
		"bad flag value":    {[]string{"explain", "--top", "many"}, "invalid value"},
		"empty model":       {[]string{"explain", "--image", pets, "--model", ""}, "--model is empty"},
		"model twice":       {append(m, "--model", mobilenet), "--model is given twice"},
		"top twice":         {append(m, "--top=3", "-top", "4"), "--top is given twice"},
		"empty size":        {append(m, "--size", ""), "--size is empty"},
		"empty run input":   {[]string{"run", "--model", mobilenet, "--input", "", "--out", t.TempDir()}, "--input is empty"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := runCLI(t, c.args...)
			if code != ExitUsage || !strings.Contains(stderr, c.says) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, ExitUsage, c.says)
			}
		})
	}
}

// TestExplainTopZero: --top 0 with --class explains only the named
// classes.
func TestExplainTopZero(t *testing.T) {
	out := t.TempDir()
	code, _, stderr := runCLI(t, "explain", "--image", filepath.Join(shared, "images", "pets.png"), "--model", mobilenet,
		"--top", "0", "--class", "tabby", "--out", out)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rep := readReport(t, out)
	if len(rep.Classes) != 1 || rep.Classes[0].Index != 282 {
		t.Errorf("report classes %+v: want only tabby (282)", rep.Classes)
	}
}

// TestExplainOutSymlink: --out a symbolic link to a folder: the run
// replaces the folder and the link still points to it; a link to nothing
// is refused (exit 1) and left alone.
func TestExplainOutSymlink(t *testing.T) {
	data, err := assets.ShapesSamples.ReadFile("shapes/sample_circle.png")
	if err != nil {
		t.Fatal(err)
	}
	in, parent := t.TempDir(), t.TempDir()
	photo, target, link := filepath.Join(in, "c.png"), filepath.Join(parent, "real"), filepath.Join(parent, "out")
	if err := os.WriteFile(photo, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	for _, image := range []string{photo, in, photo} { // a photo, a folder run, a photo again
		if code, _, stderr := runCLI(t, "explain", "--image", image, "--out", link); code != ExitOK {
			t.Fatalf("--image %s: exit %d: %s", image, code, stderr)
		}
		if got, err := os.Readlink(link); err != nil || got != target {
			t.Fatalf("after --image %s: --out is %q (%v), want the link to %s", image, got, err, target)
		}
	}
	if _, err := os.Stat(filepath.Join(link, "report.json")); err != nil {
		t.Error(err)
	}
	if got := names(t, parent); !slices.Equal(got, []string{"out", "real"}) {
		t.Errorf("beside the output: %v", got)
	}
	gone := filepath.Join(parent, "gone")
	if err := os.Symlink(gone, filepath.Join(parent, "dangling")); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "explain", "--image", photo, "--out", filepath.Join(parent, "dangling"))
	if code != ExitFailed || !strings.Contains(stderr, "is a symbolic link to "+gone+", which does not exist") {
		t.Errorf("--out a dangling link: exit %d, %s", code, stderr)
	}
	if got, err := os.Readlink(filepath.Join(parent, "dangling")); err != nil || got != gone {
		t.Errorf("the dangling link is %q (%v), want it left alone", got, err)
	}
}

// TestExplainFolderNames: output folders named after photos are safe and
// distinct.
func TestExplainFolderNames(t *testing.T) {
	data, err := assets.ShapesSamples.ReadFile("shapes/sample_circle.png")
	if err != nil {
		t.Fatal(err)
	}
	in, parent := t.TempDir(), t.TempDir()
	out := filepath.Join(parent, "out")
	for _, name := range []string{"...png", "a.jpg", "a.png", "A.gif", " b .png"} {
		if err := os.WriteFile(filepath.Join(in, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := runCLI(t, "explain", "--image", in, "--out", out)
	if code != ExitOK || !strings.Contains(stdout, "5 of 5 photos explained") {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	if got := names(t, parent); !slices.Equal(got, []string{"out"}) {
		t.Errorf("files written beside the output folder: %v", got)
	}
	want := []string{"A_gif", "a_jpg", "a_png", "b", "photo"}
	if got := names(t, out); !slices.Equal(got, append(want, "summary.csv")) {
		t.Errorf("output folders %v, want %v and summary.csv", got, want)
	}
	for _, d := range want {
		if _, err := os.Stat(filepath.Join(out, d, "report.json")); err != nil {
			t.Error(err)
		}
	}
}

func TestOutputNames(t *testing.T) {
	got := outputNames([]string{"..", "a.jpg", "a.png", "a_png.gif", "c/d.png", "x:y.bmp", "\x01.png"})
	want := []string{"photo", "a_jpg", "a_png", "a_png_2", "c_d", "x_y", "_"}
	if !slices.Equal(got, want) {
		t.Errorf("outputNames = %q, want %q", got, want)
	}
}

// TestExplainFolderReplacesWholeRun: a second folder run replaces the
// first one's folders; a run that explains nothing, or one into a folder
// of the user's, leaves --out as it was.
func TestExplainFolderReplacesWholeRun(t *testing.T) {
	data, err := assets.ShapesSamples.ReadFile("shapes/sample_circle.png")
	if err != nil {
		t.Fatal(err)
	}
	in1, in2, bad, out := t.TempDir(), t.TempDir(), t.TempDir(), filepath.Join(t.TempDir(), "out")
	for _, f := range []string{filepath.Join(in1, "x.png"), filepath.Join(in1, "y.png"), filepath.Join(in2, "z.png")} {
		if err := os.WriteFile(f, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(bad, "broken.png"), data[:50], 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, "explain", "--image", in1, "--out", out); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "explain", "--image", in2, "--out", out); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if got := names(t, out); !slices.Equal(got, []string{"summary.csv", "z"}) {
		t.Errorf("after the second run: %v, want only z and its summary (no mix of runs)", got)
	}
	if code, _, _ := runCLI(t, "explain", "--image", bad, "--out", out); code != ExitFailed {
		t.Errorf("a run that explained nothing: exit %d", code)
	}
	if got := names(t, out); !slices.Equal(got, []string{"summary.csv", "z"}) {
		t.Errorf("a failed run changed --out: %v", got)
	}
	if err := os.WriteFile(filepath.Join(out, "notes.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "explain", "--image", in1, "--out", out)
	if code != ExitFailed || !strings.Contains(stderr, "notes.txt") {
		t.Errorf("--out with a file of the user's: exit %d, %s", code, stderr)
	}
	if got := names(t, out); !slices.Equal(got, []string{"notes.txt", "summary.csv", "z"}) {
		t.Errorf("a refused run changed --out: %v", got)
	}
}

// TestExplainStoppedBySignal: SIGINT during a folder run stops it, removes
// its temporary folders and leaves --out as it was.
func TestExplainStoppedBySignal(t *testing.T) {
	data, err := assets.ShapesSamples.ReadFile("shapes/sample_circle.png")
	if err != nil {
		t.Fatal(err)
	}
	in, parent := t.TempDir(), t.TempDir()
	out := filepath.Join(parent, "out")
	for i := range 400 {
		if err := os.WriteFile(filepath.Join(in, strings.Repeat("p", 1+i%7)+string(rune('a'+i%26))+string(rune('a'+i/26))+".png"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Keep the signal from ending the test binary whatever happens.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	defer signal.Stop(sig)
	done := make(chan int)
	go func() {
		code, _, _ := runCLI(t, "explain", "--image", in, "--out", out)
		done <- code
	}()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if m, _ := filepath.Glob(filepath.Join(parent, ".camscope-tmp-*", "*", "report.json")); len(m) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the run did not start writing")
		}
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != ExitFailed {
			t.Errorf("stopped run: exit %d", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("SIGINT did not stop the run")
	}
	if got := names(t, parent); len(got) != 0 {
		t.Errorf("left behind: %v", got)
	}
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}
