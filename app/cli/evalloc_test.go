package cli

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestEvalLocBuiltInModel is issue 4's acceptance test: 'camscope eval-loc'
// on the built-in model, 2000 held-out scenes per row, must show at least
// 95% top-1 accuracy on every row and 80% CAM localisation on single-shape
// scenes, and the README must show exactly the table it prints.
func TestEvalLocBuiltInModel(t *testing.T) {
	code, stdout, stderr := runCLI(t, "eval-loc")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	t.Log("\n" + stdout)
	rows := map[string][2]float64{} // accuracy, localisation
	var table []string
	for _, line := range strings.Split(stdout, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasSuffix(f[len(f)-1], "%") {
			continue
		}
		table = append(table, line)
		acc, err1 := strconv.ParseFloat(strings.TrimSuffix(f[len(f)-2], "%"), 64)
		loc, err2 := strconv.ParseFloat(strings.TrimSuffix(f[len(f)-1], "%"), 64)
		if err1 != nil || err2 != nil || f[len(f)-3] != "2000" {
			t.Fatalf("cannot read the row %q", line)
		}
		rows[strings.Join(f[:len(f)-3], " ")] = [2]float64{acc, loc}
	}
	for _, name := range []string{"single shape", "2-3 shapes", "1-3 shapes (mixed)"} {
		r, ok := rows[name]
		if !ok {
			t.Fatalf("no %q row in:\n%s", name, stdout)
		}
		if r[0] < 95 {
			t.Errorf("%s: top-1 accuracy %.1f%%, want at least 95%%", name, r[0])
		}
	}
	if loc := rows["single shape"][1]; loc < 80 {
		t.Errorf("single shape: localisation %.1f%%, want at least 80%%", loc)
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range table {
		if !strings.Contains(string(readme), line+"\n") {
			t.Errorf("README.md does not show the row\n%s\nas eval-loc prints it", line)
		}
	}
}

// TestEvalLocErrors checks that eval-loc refuses bad input with a sentence
// and the usage or failure exit code.
func TestEvalLocErrors(t *testing.T) {
	notShapes := filepath.Join(shared, "reference", "resnet18.onnx")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--n", "0"}, ExitUsage, "--n must be at least 1"},
		{[]string{"--model", filepath.Join(t.TempDir(), "none.onnx")}, ExitFailed, "cannot read the model"},
		{[]string{"--model", notShapes}, ExitFailed, "is not a shapes model"},
	} {
		code, _, stderr := runCLI(t, append([]string{"eval-loc"}, c.args...)...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("eval-loc %v: exit %d, %q; want exit %d and %q", c.args, code, stderr, c.code, c.want)
		}
	}
}
