package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"camscope/app/atomicfile"
	"camscope/app/faithfulness"
)

// The files evaluate writes into its output folder.
const (
	evalTableCSV  = "table.csv"
	evalTableJSON = "table.json"
	evalPhotosCSV = "photos.csv"
	evalCurvesCSV = "curves.csv"
	evalCurvesPNG = "curves.png"
)

// evalRow is one photo's values for one method.
type evalRow struct {
	Photo, Method string
	Class         int
	Label         string
	Prob          float64
	Scores        faithfulness.Scores
	MS            float64 // map and metrics, milliseconds
	Err           string
}

// evalRun is what a run (or a merge of runs) found, before the table.
type evalRun struct {
	Model     string         `json:"model"`
	Input     string         `json:"input"`
	Steps     int            `json:"steps"`
	Metrics   []string       `json:"metrics"`
	Methods   []string       `json:"methods"`
	Target    string         `json:"target"`
	Fractions []float64      `json:"fractions,omitempty"`
	Shard     string         `json:"shard,omitempty"`
	Photos    int            `json:"photos"`
	Failed    int            `json:"failed"`
	Passes    int            `json:"forward_passes"`
	Seconds   float64        `json:"seconds"`
	Rows      []evalTableRow `json:"-"`
	perPhoto  []evalRow
}

// evalTableRow is one method's line of the table; a metric not measured
// is nil.
type evalTableRow struct {
	Method    string   `json:"method"`
	Photos    int      `json:"photos"`
	Drop      *float64 `json:"average_drop"`
	Increase  *float64 `json:"increase_in_confidence"`
	Deletion  *float64 `json:"deletion_auc"`
	Insertion *float64 `json:"insertion_auc"`
	ROAD      *float64 `json:"road"`
	Sanity    *float64 `json:"sanity_correlation"`
	IoU       *float64 `json:"iou"`
	Pointing  *float64 `json:"pointing_game"`
	MS        float64  `json:"ms_per_photo"`
	// the mean curves, for the plot
	deletion, insertion []float64
}

type evalJSON struct {
	*evalRun
	Rows            []evalTableRow `json:"table"`
	PassesPerSecond float64        `json:"forward_passes_per_second"`
}

// summarise makes the table from the per-photo rows, in the order of
// methods and, within a method, of photo names (so that a merge of shards
// adds the same numbers in the same order as one run).
func (r *evalRun) summarise() {
	slices.SortStableFunc(r.perPhoto, func(a, b evalRow) int { return strings.Compare(a.Photo, b.Photo) })
	r.Rows = nil
	for _, m := range r.Methods {
		row := evalTableRow{Method: m}
		var drop, inc, del, ins, road, sanity, iou, hits, ms float64
		var nd, nc, ni, nr, ns, nl int
		for _, p := range r.perPhoto {
			if p.Method != m || p.Err != "" {
				continue
			}
			row.Photos++
			ms += p.MS
			if c := p.Scores.Confidence; c != nil {
				drop += c.Drop
				if c.Increase {
					inc++
				}
				nc++
			}
			if c := p.Scores.Deletion; c != nil {
				del += c.AUC
				row.deletion = addCurve(row.deletion, c.Probs)
				nd++
			}
			if c := p.Scores.Insertion; c != nil {
				ins += c.AUC
				row.insertion = addCurve(row.insertion, c.Probs)
				ni++
			}
			if c := p.Scores.ROAD; c != nil {
				road += c.Combined
				nr++
			}
			if c := p.Scores.Sanity; c != nil {
				sanity += c.Mean()
				ns++
			}
			if c := p.Scores.Localisation; c != nil {
				iou += c.IoU
				if c.Hit {
					hits++
				}
				nl++
			}
		}
		mean := func(s float64, n int) *float64 {
			if n == 0 {
				return nil
			}
			v := s / float64(n)
			return &v
		}
		row.Drop, row.Increase = mean(drop, nc), mean(inc, nc)
		row.Deletion, row.Insertion, row.ROAD = mean(del, nd), mean(ins, ni), mean(road, nr)
		row.Sanity, row.IoU, row.Pointing = mean(sanity, ns), mean(iou, nl), mean(hits, nl)
		for i := range row.deletion {
			row.deletion[i] /= float64(nd)
		}
		for i := range row.insertion {
			row.insertion[i] /= float64(ni)
		}
		if row.Photos > 0 {
			row.MS = ms / float64(row.Photos)
		}
		r.Rows = append(r.Rows, row)
	}
}

func addCurve(sum, c []float64) []float64 {
	if sum == nil {
		sum = make([]float64, len(c))
	}
	for i := range min(len(sum), len(c)) {
		sum[i] += c[i]
	}
	return sum
}

// print writes the table for people.
func (r *evalRun) print(w io.Writer) {
	fmt.Fprintf(w, "%s, %s input, %d photos", r.Model, r.Input, r.Photos-r.Failed)
	if r.Failed > 0 {
		fmt.Fprintf(w, " (%d failed)", r.Failed)
	}
	fmt.Fprintf(w, "; target class: %s; deletion and insertion in %d steps.\n", r.Target, r.Steps)
	// The columns of torchcam's table always; the sanity check and
	// localisation when measured.
	cols := []struct {
		head string
		pct  bool
		get  func(evalTableRow) *float64
	}{
		{"average drop ↓", true, func(r evalTableRow) *float64 { return r.Drop }},
		{"increase in confidence ↑", true, func(r evalTableRow) *float64 { return r.Increase }},
		{"deletion AUC ↓", false, func(r evalTableRow) *float64 { return r.Deletion }},
		{"insertion AUC ↑", false, func(r evalTableRow) *float64 { return r.Insertion }},
		{"ROAD ↑", false, func(r evalTableRow) *float64 { return r.ROAD }},
		{"sanity correlation ↓", false, func(r evalTableRow) *float64 { return r.Sanity }},
		{"IoU ↑", false, func(r evalTableRow) *float64 { return r.IoU }},
		{"pointing game ↑", true, func(r evalTableRow) *float64 { return r.Pointing }},
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	shown := cols[:0]
	for i, c := range cols {
		if i < 5 || slices.ContainsFunc(r.Rows, func(row evalTableRow) bool { return c.get(row) != nil }) {
			shown = append(shown, c)
		}
	}
	fmt.Fprint(tw, "method\t")
	for _, c := range shown {
		fmt.Fprint(tw, c.head+"\t")
	}
	fmt.Fprintln(tw, "ms per photo\t")
	for _, row := range r.Rows {
		fmt.Fprint(tw, row.Method+"\t")
		for _, c := range shown {
			switch v := c.get(row); {
			case v == nil:
				fmt.Fprint(tw, "-\t")
			case c.pct:
				fmt.Fprintf(tw, "%.1f%%\t", 100**v)
			default:
				fmt.Fprintf(tw, "%.3f\t", *v)
			}
		}
		fmt.Fprintf(tw, "%.0f\t\n", row.MS)
	}
	tw.Flush()
	if r.Seconds > 0 {
		fmt.Fprintf(w, "%d forward passes for the metrics in %.1f s (%.1f per second).\n", r.Passes, r.Seconds, float64(r.Passes)/r.Seconds)
	}
}

// num formats a float so that it reads back exactly.
func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func optNum(v *float64) string {
	if v == nil {
		return ""
	}
	return num(*v)
}

var evalPhotosHeader = []string{"photo", "method", "class", "label", "prob", "masked_prob", "drop", "increase", "deletion_auc", "insertion_auc", "road",
	"sanity_correlation", "iou", "hit", "ms", "error"}

// write writes every file of the run into dir.
func (r *evalRun) write(dir string) error {
	table := [][]string{{"method", "photos", "average_drop", "increase_in_confidence", "deletion_auc", "insertion_auc", "road",
		"sanity_correlation", "iou", "pointing_game", "ms_per_photo"}}
	for _, row := range r.Rows {
		table = append(table, []string{row.Method, strconv.Itoa(row.Photos), optNum(row.Drop), optNum(row.Increase),
			optNum(row.Deletion), optNum(row.Insertion), optNum(row.ROAD), optNum(row.Sanity), optNum(row.IoU), optNum(row.Pointing),
			strconv.FormatFloat(row.MS, 'f', 1, 64)})
	}
	photos := [][]string{evalPhotosHeader}
	curves := [][]string{{"photo", "method", "curve", "probabilities"}}
	for _, p := range r.perPhoto {
		row := []string{p.Photo, p.Method, strconv.Itoa(p.Class), p.Label, num(p.Prob), "", "", "", "", "", "", "", "", "",
			strconv.FormatFloat(p.MS, 'f', 1, 64), p.Err}
		if p.Err != "" {
			row[2], row[4] = "", ""
		}
		if c := p.Scores.Confidence; c != nil {
			row[5], row[6], row[7] = num(c.Masked), num(c.Drop), strconv.FormatBool(c.Increase)
		}
		for i, c := range []*faithfulness.Curve{p.Scores.Deletion, p.Scores.Insertion} {
			if c == nil {
				continue
			}
			row[8+i] = num(c.AUC)
			line := []string{p.Photo, p.Method, []string{"deletion", "insertion"}[i]}
			for _, v := range c.Probs {
				line = append(line, num(v))
			}
			curves = append(curves, line)
		}
		if c := p.Scores.ROAD; c != nil {
			row[10] = num(c.Combined)
		}
		if c := p.Scores.Sanity; c != nil {
			row[11] = num(c.Mean())
		}
		if c := p.Scores.Localisation; c != nil {
			row[12], row[13] = num(c.IoU), strconv.FormatBool(c.Hit)
		}
		photos = append(photos, row)
	}
	for name, rows := range map[string][][]string{evalTableCSV: table, evalPhotosCSV: photos, evalCurvesCSV: curves} {
		if err := writeCSV(filepath.Join(dir, name), rows); err != nil {
			return err
		}
	}
	js := evalJSON{evalRun: r, Rows: r.Rows}
	if r.Seconds > 0 {
		js.PassesPerSecond = float64(r.Passes) / r.Seconds
	}
	if err := atomicfile.Write(filepath.Join(dir, evalTableJSON), func(w io.Writer) error {
		e := json.NewEncoder(w)
		e.SetIndent("", "  ")
		return e.Encode(js)
	}); err != nil {
		return err
	}
	if r.Fractions == nil {
		return nil // no deletion or insertion curve to draw
	}
	return r.plot(filepath.Join(dir, evalCurvesPNG))
}

func writeCSV(path string, rows [][]string) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.WriteAll(rows); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		return nil
	})
}

// curveColors are the plot's line colours (Tableau's 10, then black):
// eleven that stay apart, one per method of a full run, the dash pattern
// (curveDashes, cycling in threes) telling neighbours in the list apart
// a second way.
var curveColors = []color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255},
	{148, 103, 189, 255}, {140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255},
	{188, 189, 34, 255}, {23, 190, 207, 255}, {0, 0, 0, 255},
}

var curveDashes = [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, {vg.Points(2), vg.Points(2)}}

// plot draws the mean deletion and insertion curves of each method side
// by side, with one legend to their right.
func (r *evalRun) plot(path string) error {
	var panels []*plot.Plot
	legend := plot.NewLegend()
	legend.Top, legend.Left = true, true
	legend.ThumbnailWidth = vg.Points(32)
	listed := map[string]bool{}
	for i, kind := range []string{"Deletion", "Insertion"} {
		p := plot.New()
		p.Title.Text = fmt.Sprintf("%s (mean of %d photos)", kind, r.Photos-r.Failed)
		p.X.Label.Text = "fraction of pixels " + []string{"removed", "inserted"}[i]
		p.Y.Label.Text = "probability of the target class"
		p.X.Min, p.X.Max, p.Y.Min = 0, 1, 0
		p.Add(plotter.NewGrid())
		for j, row := range r.Rows {
			c := row.deletion
			if i == 1 {
				c = row.insertion
			}
			if len(c) != len(r.Fractions) || len(c) == 0 {
				continue
			}
			xy := make(plotter.XYs, len(c))
			for k := range c {
				xy[k].X, xy[k].Y = r.Fractions[k], c[k]
			}
			l, err := plotter.NewLine(xy)
			if err != nil {
				return err
			}
			l.Color = curveColors[j%len(curveColors)]
			l.Dashes = curveDashes[j%len(curveDashes)]
			l.Width = vg.Points(1.5)
			p.Add(l)
			if !listed[row.Method] {
				listed[row.Method] = true
				legend.Add(row.Method, l)
			}
		}
		panels = append(panels, p)
	}
	const legendWidth = 1.9 * vg.Inch
	img := vgimg.NewWith(vgimg.UseWH(11*vg.Inch, 4*vg.Inch), vgimg.UseDPI(96), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2}
	canvases := plot.Align([][]*plot.Plot{panels}, tiles, draw.Crop(dc, 0, -legendWidth, 0, 0))
	for i, p := range panels {
		p.Draw(canvases[0][i])
	}
	legend.Draw(draw.Crop(dc, dc.Max.X-legendWidth+vg.Millimeter*2, -vg.Millimeter*2, 0, -vg.Millimeter*8))
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
		return err
	})
}

// readEvalRun reads what evaluate wrote into dir: the run's settings and
// its per-photo values and curves.
func readEvalRun(dir string) (*evalRun, error) {
	path := filepath.Join(dir, evalTableJSON)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s is not an evaluate output folder: %w", dir, err)
	}
	defer f.Close()
	if err := checkTableSize(f, path); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var r evalRun
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, evalTableJSON), err)
	}
	photos, err := readTable(filepath.Join(dir, evalPhotosCSV), ',')
	if err != nil {
		return nil, err
	}
	curves, err := readTable(filepath.Join(dir, evalCurvesCSV), ',')
	if err != nil {
		return nil, err
	}
	bad := func(file string, line int, why string) error {
		return fmt.Errorf("%s line %d: %s; was it written by camscope evaluate?", filepath.Join(dir, file), line, why)
	}
	type key struct{ photo, method, curve string }
	curve := map[key][]float64{}
	for i, rec := range curves[1:] {
		if len(rec) < 4 {
			return nil, bad(evalCurvesCSV, i+2, "too few fields")
		}
		var c []float64
		for _, s := range rec[3:] {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, bad(evalCurvesCSV, i+2, "not a number: "+s)
			}
			c = append(c, v)
		}
		curve[key{rec[0], rec[1], rec[2]}] = c
	}
	if len(photos[0]) != len(evalPhotosHeader) {
		return nil, bad(evalPhotosCSV, 1, "unexpected columns")
	}
	for i, rec := range photos[1:] {
		if len(rec) != len(evalPhotosHeader) {
			return nil, bad(evalPhotosCSV, i+2, "wrong number of fields")
		}
		p := evalRow{Photo: rec[0], Method: rec[1], Label: rec[3], Err: rec[15]}
		f := func(s string) (v float64) {
			if err == nil && s != "" {
				v, err = strconv.ParseFloat(s, 64)
			}
			return v
		}
		if p.MS = f(rec[14]); p.Err == "" {
			p.Class, _ = strconv.Atoi(rec[2])
			p.Prob = f(rec[4])
			if rec[6] != "" {
				p.Scores.Confidence = &faithfulness.Confidence{Masked: f(rec[5]), Drop: f(rec[6]), Increase: rec[7] == "true"}
			}
			for j, name := range []string{"deletion", "insertion"} {
				if rec[8+j] == "" {
					continue
				}
				c := &faithfulness.Curve{Fractions: r.Fractions, Probs: curve[key{p.Photo, p.Method, name}], AUC: f(rec[8+j])}
				if len(c.Probs) != len(r.Fractions) {
					return nil, bad(evalCurvesCSV, 0, fmt.Sprintf("the %s curve of %s with %s is missing or of the wrong length", name, p.Photo, p.Method))
				}
				if j == 0 {
					p.Scores.Deletion = c
				} else {
					p.Scores.Insertion = c
				}
			}
			if rec[10] != "" {
				p.Scores.ROAD = &faithfulness.ROAD{Combined: f(rec[10])}
			}
			if rec[11] != "" {
				// The mean is what the table needs: one correlation that is it.
				p.Scores.Sanity = &faithfulness.Sanity{Correlations: []float64{f(rec[11])}}
			}
			if rec[12] != "" {
				p.Scores.Localisation = &faithfulness.Localisation{IoU: f(rec[12]), Hit: rec[13] == "true"}
			}
		}
		if err != nil {
			return nil, bad(evalPhotosCSV, i+2, err.Error())
		}
		r.perPhoto = append(r.perPhoto, p)
	}
	return &r, nil
}

// mergeRuns combines the outputs of runs on shards of one folder.
func mergeRuns(dirs []string) (*evalRun, error) {
	var out *evalRun
	seen := map[string]int{} // photo -> the index of its folder
	for i, d := range dirs {
		r, err := readEvalRun(d)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = &evalRun{Model: r.Model, Input: r.Input, Steps: r.Steps, Metrics: r.Metrics, Methods: r.Methods, Target: r.Target, Fractions: r.Fractions}
		} else if r.Model != out.Model || r.Input != out.Input || r.Steps != out.Steps || !slices.Equal(r.Metrics, out.Metrics) ||
			!slices.Equal(r.Methods, out.Methods) || r.Target != out.Target {
			return nil, fmt.Errorf("%s was evaluated otherwise than %s (model, steps, metrics, methods or target differ); merge runs of one evaluate command", d, dirs[0])
		}
		for _, p := range r.perPhoto {
			if prev, dup := seen[p.Photo]; dup && prev != i {
				return nil, fmt.Errorf("%s is in both %s and %s; merge the outputs of different shards (--shard I/N)", p.Photo, dirs[prev], d)
			}
			seen[p.Photo] = i
		}
		out.Photos += r.Photos
		out.Failed += r.Failed
		out.Passes += r.Passes
		out.Seconds += r.Seconds
		out.perPhoto = append(out.perPhoto, r.perPhoto...)
	}
	out.Shard = fmt.Sprintf("merged from %d folders", len(dirs))
	out.summarise()
	return out, nil
}
