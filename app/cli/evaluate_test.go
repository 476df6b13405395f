package cli

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var imagenetSample = filepath.Join(shared, "imagenet-sample")

// sampleFolder links the first n photos of the ImageNet sample (every
// 10th, from the first) into a new folder, with classes.tsv when withTSV.
func sampleFolder(t *testing.T, n int, withTSV bool) string {
	t.Helper()
	files, err := photoFiles(imagenetSample)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for i := 0; i < n; i++ {
		abs, _ := filepath.Abs(filepath.Join(imagenetSample, files[10*i]))
		if err := os.Symlink(abs, filepath.Join(dir, files[10*i])); err != nil {
			t.Fatal(err)
		}
	}
	if withTSV {
		b, err := os.ReadFile(filepath.Join(imagenetSample, classesTSV))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, classesTSV), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func readCSVFile(t *testing.T, path string) [][]string {
	t.Helper()
	rows, err := readTable(path, ',')
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func parseF(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("%q is not a number", s)
	}
	return v
}

func TestEvaluateTableAgreesWithPerPhotoValues(t *testing.T) {
	dir := sampleFolder(t, 2, true)
	out := filepath.Join(t.TempDir(), "eval")
	code, stdout, stderr := runCLI(t, "evaluate", "--images", dir, "--model", mobilenet, "--methods", "cam,gradcam++",
		"--steps", "6", "--out", out)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"ground truth from classes.tsv", "in 6 steps", "Grad-CAM++", "forward passes"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the output does not say %q:\n%s", want, stdout)
		}
	}
	photos := readCSVFile(t, filepath.Join(out, evalPhotosCSV))
	table := readCSVFile(t, filepath.Join(out, evalTableCSV))
	curves := readCSVFile(t, filepath.Join(out, evalCurvesCSV))
	var meta struct {
		Fractions []float64 `json:"fractions"`
		Table     []struct {
			Method string `json:"method"`
		} `json:"table"`
	}
	b, _ := os.ReadFile(filepath.Join(out, evalTableJSON))
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	if len(photos) != 1+2*2 || len(table) != 1+2 || len(curves) != 1+2*2*2 || len(meta.Table) != 2 {
		t.Fatalf("%d photo rows, %d table rows, %d curves, %d JSON rows; want 4, 2, 8 and 2", len(photos)-1, len(table)-1, len(curves)-1, len(meta.Table))
	}
	// The targets are the photos' ImageNet classes, one higher in this
	// model of 1001 classes (background first): tench (0) is 1.
	if photos[1][0] != "n01440764_tench.JPEG" || photos[1][2] != "1" || !strings.HasPrefix(photos[1][3], "tench") {
		t.Errorf("first row %v: want the tench photo with class 1", photos[1])
	}
	// Each table cell is the mean of its column over the method's photos.
	col := map[string]int{}
	for i, h := range photos[0] {
		col[h] = i
	}
	for _, row := range table[1:] {
		var drop, inc, del, ins float64
		n := 0
		for _, p := range photos[1:] {
			if p[1] != row[0] {
				continue
			}
			n++
			pr, masked := parseF(t, p[col["prob"]]), parseF(t, p[col["masked_prob"]])
			if d := parseF(t, p[col["drop"]]); math.Abs(d-math.Max(0, pr-masked)/pr) > 1e-12 {
				t.Errorf("%s %s: drop %v, but the probabilities %v and %v give %v", p[0], p[1], d, pr, masked, math.Max(0, pr-masked)/pr)
			}
			drop += parseF(t, p[col["drop"]])
			if p[col["increase"]] == "true" {
				inc++
			}
			del += parseF(t, p[col["deletion_auc"]])
			ins += parseF(t, p[col["insertion_auc"]])
			// Each AUC is the area under the photo's curve.
			for _, c := range curves[1:] {
				if c[0] != p[0] || c[1] != p[1] {
					continue
				}
				var probs []float64
				for _, s := range c[3:] {
					probs = append(probs, parseF(t, s))
				}
				if len(probs) != 7 || len(meta.Fractions) != 7 {
					t.Fatalf("curve of %d points, fractions %v: want 7 of each for 6 steps", len(probs), meta.Fractions)
				}
				var auc float64
				for i := 1; i < 7; i++ {
					auc += (meta.Fractions[i] - meta.Fractions[i-1]) * (probs[i] + probs[i-1]) / 2
				}
				want := parseF(t, p[col[c[2]+"_auc"]])
				if math.Abs(auc-want) > 1e-12 {
					t.Errorf("%s %s %s: AUC %v, the curve gives %v", p[0], p[1], c[2], want, auc)
				}
				if c[2] == "deletion" && math.Abs(probs[0]-pr) > 1e-12 {
					t.Errorf("%s %s: the deletion curve starts at %v, not at the photo's probability %v", p[0], p[1], probs[0], pr)
				}
			}
		}
		if n != 2 || row[1] != "2" {
			t.Fatalf("method %s: %d photo rows, table says %s photos", row[0], n, row[1])
		}
		for i, want := range []float64{drop / 2, inc / 2, del / 2, ins / 2} {
			if got := parseF(t, row[2+i]); math.Abs(got-want) > 1e-12 {
				t.Errorf("method %s, %s: table %v, mean of the photos %v", row[0], table[0][2+i], got, want)
			}
		}
		if row[6] != "" {
			t.Errorf("ROAD was not asked for, yet the table has %q", row[6])
		}
	}
	if _, err := os.Stat(filepath.Join(out, evalCurvesPNG)); err != nil {
		t.Error(err)
	}
}

// withoutMS drops the ms columns, which differ from run to run.
func withoutMS(rows [][]string) [][]string {
	var out [][]string
	for _, r := range rows {
		var keep []string
		for i, v := range r {
			if i >= len(rows[0]) || rows[0][i] != "ms" && rows[0][i] != "ms_per_photo" {
				keep = append(keep, v)
			}
		}
		out = append(out, keep)
	}
	return out
}

func TestEvaluateShardsMergedEqualOneRun(t *testing.T) {
	dir := sampleFolder(t, 5, false)
	tmp := t.TempDir()
	common := []string{"evaluate", "--images", dir, "--model", builtinShapes, "--methods", "gradcam,layercam", "--metrics", "all", "--steps", "4", "--truth", "none"}
	one := filepath.Join(tmp, "one")
	if code, _, stderr := runCLI(t, append(common, "--out", one)...); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	merge := []string{"evaluate", "--out", filepath.Join(tmp, "merged")}
	for i := range 3 {
		o := filepath.Join(tmp, "shard"+strconv.Itoa(i))
		if code, _, stderr := runCLI(t, append(common, "--shard", strconv.Itoa(i)+"/3", "--out", o)...); code != ExitOK {
			t.Fatalf("shard %d: exit %d: %s", i, code, stderr)
		}
		merge = append(merge, "--merge", o)
	}
	code, stdout, stderr := runCLI(t, merge...)
	if code != ExitOK {
		t.Fatalf("merge: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "top-1 class (no ground truth)") || !strings.Contains(stdout, "5 photos") {
		t.Errorf("the merged table does not say its 5 photos and top-1 targets:\n%s", stdout)
	}
	for _, f := range []string{evalTableCSV, evalPhotosCSV, evalCurvesCSV} {
		a := withoutMS(readCSVFile(t, filepath.Join(one, f)))
		b := withoutMS(readCSVFile(t, filepath.Join(tmp, "merged", f)))
		if !slices.EqualFunc(a, b, slices.Equal) {
			t.Errorf("%s of 3 shards merged differs from one run's:\none run %v\nmerged  %v", f, a, b)
		}
	}
	// A shard merged with itself is refused.
	s0 := filepath.Join(tmp, "shard0")
	if code, _, stderr := runCLI(t, "evaluate", "--merge", s0, "--merge", s0, "--out", filepath.Join(tmp, "twice")); code != ExitFailed || !strings.Contains(stderr, "in both") {
		t.Errorf("merging a shard with itself: exit %d, %s", code, stderr)
	}
}

func TestEvaluateRefusesBadInput(t *testing.T) {
	dir := sampleFolder(t, 1, false)
	foreign := t.TempDir()
	os.WriteFile(filepath.Join(foreign, "notes.txt"), []byte("mine"), 0o644)
	badTruth := filepath.Join(t.TempDir(), "truth.csv")
	os.WriteFile(badTruth, []byte("file,class\nx.JPEG,no such animal\n"), 0o644)
	out := filepath.Join(t.TempDir(), "o")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--images", dir, "--steps", "0"}, ExitUsage, "--steps must be between 1"},
		{[]string{"--images", dir, "--shard", "3/3"}, ExitUsage, "0 <= I < N"},
		{[]string{"--images", dir, "--metrics", "speed"}, ExitUsage, "unknown metric"},
		{[]string{"--images", dir, "--methods", "gradcam,gradcam"}, ExitUsage, "twice"},
		{[]string{"--model", builtinShapes}, ExitUsage, "give --images"},
		{[]string{"--images", dir, "--out", foreign}, ExitFailed, "notes.txt"},
		{[]string{"--images", dir, "--model", builtinShapes, "--truth", badTruth}, ExitFailed, "no class of the model is called"},
		{[]string{"--images", dir, "--shard", "1/2", "--model", builtinShapes}, ExitUsage, "holds none"},
		{[]string{"--merge", dir}, ExitFailed, "not an evaluate output folder"},
		{[]string{"--merge", dir, "--steps", "3"}, ExitUsage, "only --out"},
	} {
		args := append([]string{"evaluate"}, c.args...)
		if !slices.Contains(c.args, "--out") {
			args = append(args, "--out", out)
		}
		code, _, stderr := runCLI(t, args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %q; want exit %d saying %q", c.args, code, stderr, c.code, c.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a refused run wrote %s", out)
	}
}

func TestExplainMetricsGoIntoTheReport(t *testing.T) {
	out := t.TempDir()
	code, _, stderr := runCLI(t, "explain", "--image", filepath.Join(shared, "images", "pets.png"), "--model", mobilenet,
		"--top", "1", "--metrics", "--out", out)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Classes []struct {
			Prob         float64 `json:"prob"`
			Faithfulness *struct {
				Confidence struct {
					Masked float64 `json:"masked_prob"`
					Drop   float64 `json:"drop"`
				} `json:"confidence"`
				Deletion struct {
					Fractions []float64 `json:"fractions"`
					Probs     []float64 `json:"probs"`
					AUC       float64   `json:"auc"`
				} `json:"deletion"`
				Insertion *struct {
					Probs []float64 `json:"probs"`
				} `json:"insertion"`
			} `json:"faithfulness"`
		} `json:"classes"`
	}
	b, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Classes) != 1 || rep.Classes[0].Faithfulness == nil || rep.Classes[0].Faithfulness.Insertion == nil {
		t.Fatalf("report.json has no faithfulness scores:\n%s", b)
	}
	c := rep.Classes[0]
	f := c.Faithfulness
	// The deletion curve starts at the photo as given: the probability the
	// explanation reported, and ends at the blank input; insertion ends at
	// the photo again.
	if n := len(f.Deletion.Probs); n != 51 || len(f.Deletion.Fractions) != 51 || math.Abs(f.Deletion.Probs[0]-c.Prob) > 1e-5 ||
		math.Abs(f.Insertion.Probs[50]-c.Prob) > 1e-5 || f.Deletion.Fractions[50] != 1 {
		t.Fatalf("deletion curve of %d points from %v (class probability %v), insertion ends at %v", n, f.Deletion.Probs[0], c.Prob, f.Insertion.Probs[50])
	}
	if want := math.Max(0, c.Prob-f.Confidence.Masked) / c.Prob; math.Abs(f.Confidence.Drop-want) > 1e-5 {
		t.Fatalf("drop %v, the probabilities give %v", f.Confidence.Drop, want)
	}
}
