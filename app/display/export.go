package display

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"camscope/app/atomicfile"
	"camscope/app/explain"
	"camscope/app/faithfulness"
	"camscope/app/render"
	"camscope/inference/cam"
	"camscope/inference/npy"
	"camscope/inference/preprocess"
	"camscope/inference/tensor"
)

// Report is the JSON description of one explanation.
type Report struct {
	Photo         PhotoInfo          `json:"photo"`
	Model         ModelInfo          `json:"model"`
	Preprocessing preprocess.Spec    `json:"preprocessing"`
	Source        preprocess.Source  `json:"preprocessing_source"`
	Crop          [4]float64         `json:"crop"` // x0, y0, x1, y1 of the photo the input covers
	Method        string             `json:"method"`
	Layers        []string           `json:"layers"`        // the layers whose maps are combined; one for a raw map
	Smoothing     []string           `json:"smoothing"`     // "aug", "eigen" (cam.Options); empty for none
	Normalisation string             `json:"normalisation"` // "per-map" or "shared"
	ReLU          bool               `json:"relu"`
	BoxThreshold  float64            `json:"box_threshold"`
	Classes       []ClassReport      `json:"classes"`
	TimingsMS     map[string]float64 `json:"timings_ms"`
}

// PhotoInfo describes the input.
type PhotoInfo struct {
	File   string `json:"file,omitempty"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// ModelInfo describes the model.
type ModelInfo struct {
	Name       string `json:"name"`
	Path       string `json:"path,omitempty"`
	Input      []int  `json:"input_shape"`
	Classes    int    `json:"classes"`
	Layer      string `json:"layer"`
	MapSize    [2]int `json:"map_size"` // width, height of the maps' grid (the feature grid; the input for Occlusion)
	Labels     string `json:"labels,omitempty"`
	Opset      int    `json:"opset"`
	CAMApplies bool   `json:"cam_applies"`
}

// ClassReport is one explained class.
type ClassReport struct {
	Rank    int     `json:"rank,omitempty"`
	Index   int     `json:"index"`
	Label   string  `json:"label"`
	Prob    float64 `json:"prob"`
	Logit   float32 `json:"logit"`
	Box     []int   `json:"box,omitempty"` // x0, y0, x1, y1 in photo pixels
	Overlay string  `json:"overlay"`
	Map     string  `json:"map"`
	MapMin  float32 `json:"map_min"`
	MapMax  float32 `json:"map_max"`
	// ChannelWeights are the weight of each channel of each of the
	// report's layers (in their order), for a method that weights
	// channels (CAM, Grad-CAM, Grad-CAM++, XGrad-CAM), of the photo as
	// given; absent for the other methods, and when a weight is not a
	// finite number (which JSON cannot hold).
	ChannelWeights [][]float32 `json:"channel_weights,omitempty"`
	// Faithfulness are the map's scores (explain --metrics; see package
	// faithfulness), absent when not measured.
	Faithfulness *faithfulness.Scores `json:"faithfulness,omitempty"`
}

// makeReport describes the result as v shows it; boxes are the classes'
// localisation boxes in photo pixels (ok false for none) and photoFile
// names the input.
func makeReport(r *explain.Result, boxes []*image.Rectangle, v View, photoFile string) Report {
	m := r.Model
	ok := false
	if ex, err := m.ExplainerAt(r.Request.Layer); err == nil {
		ok, _ = ex.SupportsCAM()
	}
	rep := Report{
		Photo: PhotoInfo{File: photoFile, Width: r.Geometry.PhotoWidth, Height: r.Geometry.PhotoHeight},
		Model: ModelInfo{Name: m.Name, Path: m.Path, Input: m.Engine.Inputs[0].Shape, Classes: m.NumClasses(),
			Layer: r.Layer(), Labels: m.LabelsPath, Opset: m.Engine.Opset, CAMApplies: ok},
		Preprocessing: m.Spec, Source: m.SpecSource,
		Crop:   [4]float64{r.Geometry.Crop.X0, r.Geometry.Crop.Y0, r.Geometry.Crop.X1, r.Geometry.Crop.Y1},
		Method: string(r.Request.Method), Layers: r.Layers(), Normalisation: "per-map", ReLU: v.ReLU, BoxThreshold: v.BoxThreshold,
		Smoothing: cam.Options{AugSmooth: r.Request.AugSmooth, EigenSmooth: r.Request.EigenSmooth}.Smoothing(),
		TimingsMS: map[string]float64{
			"preprocess": ms(r.Timings.Preprocess.Seconds()), "forward": ms(r.Timings.Forward.Seconds()), "maps": ms(r.Timings.Maps.Seconds()),
		},
	}
	w, h, found := m.MapSize()
	if r.Request.Layer != "" {
		w, h, found = m.MapSizeAt(r.Request.Layer)
	}
	if len(r.Classes) > 0 {
		// The maps' own grid: Occlusion's is the input's.
		w, h, found = r.Classes[0].Map.W, r.Classes[0].Map.H, true
	}
	if found {
		rep.Model.MapSize = [2]int{w, h}
	}
	if v.Scale != PerTile {
		rep.Normalisation = "shared"
	}
	for i, c := range r.Classes {
		lo, hi := render.Range(false, rawMap(c))
		cr := ClassReport{Rank: c.Rank, Index: c.Index, Label: c.Label, Prob: c.Prob, Logit: c.Logit,
			Overlay: fileStem(i, c) + ".png", Map: fileStem(i, c) + ".npy", MapMin: lo, MapMax: hi, ChannelWeights: finite(c.Weights),
			Faithfulness: c.Scores}
		if b := boxes[i]; b != nil {
			cr.Box = []int{b.Min.X, b.Min.Y, b.Max.X, b.Max.Y}
		}
		rep.Classes = append(rep.Classes, cr)
	}
	return rep
}

// finite returns weights, or nil if one of them is NaN or infinite.
func finite(weights [][]float32) [][]float32 {
	for _, ws := range weights {
		for _, w := range ws {
			if math.IsNaN(float64(w)) || math.IsInf(float64(w), 0) {
				return nil
			}
		}
	}
	return weights
}

func ms(s float64) float64 { return float64(int64(s*1e6)) / 1e3 }

// fileStem names class i's files: "01_tabby_cat".
func fileStem(i int, c explain.Explained) string {
	label := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-':
			return r
		}
		return '_'
	}, c.Label)
	if len(label) > 40 {
		label = label[:40]
	}
	return fmt.Sprintf("%02d_%s", i+1, strings.Trim(label, "_"))
}

// GridTileSide is the longest side, in pixels, of a tile of the saved
// grid.png: the grid is composed from a copy of the photo at most this
// large, so that its size does not grow with the photo's.
const GridTileSide = 1024

// Save writes the result, as v shows it, as the folder dir: one overlay PNG
// (at the photo's size) and one raw map (.npy, float32, feature-grid
// resolution) per class, grid.png (tiles at most GridTileSide pixels on the
// long side) and report.json; photoFile names the input in the report.
// Overlays are made and written one at a time. Everything is written into a
// temporary folder beside dir, which replaces dir only when all of it was
// written (atomicfile.WriteDir), so a failure or a cancelled ctx leaves dir
// as it was. dir must be new, empty or an earlier Save's (CheckOutput).
// It returns the report it wrote.
func Save(ctx context.Context, dir string, r *explain.Result, v View, photoFile string) (Report, error) {
	if err := CheckOutput(dir); err != nil {
		return Report{}, err
	}
	var rep Report
	err := atomicfile.WriteDir(ctx, dir, func(tmp string) (err error) {
		rep, err = save(ctx, tmp, r, v, photoFile)
		return err
	})
	return rep, err
}

func save(ctx context.Context, dir string, r *explain.Result, v View, photoFile string) (Report, error) {
	photo := fullPhoto(r)
	scaled := Normalize(v, r)[0]
	boxes := make([]*image.Rectangle, len(r.Classes))
	// One overlay at a time, into buffers reused from class to class: the
	// peak stays that of one overlay, and no class pays for fresh memory.
	overlay := image.NewRGBA(photo.Rect)
	place := Placement{Geo: r.Geometry, Scale: 1}
	var heat *render.Heat
	for i, c := range r.Classes {
		if err := ctx.Err(); err != nil {
			return Report{}, err
		}
		if heat == nil {
			heat = place.Heat(scaled[i], photo.Rect.Size(), v.Colormap)
		} else {
			heat.Remap(scaled[i], place.Cover())
		}
		b, ok := box(heat, v.BoxThreshold)
		if ok {
			boxes[i] = &b
		}
		heat.Blend(overlay, photo, v.Opacity)
		decorate(overlay, heat, v, b, ok)
		name := fileStem(i, c) + ".png"
		if err := render.SavePNG(filepath.Join(dir, name), overlay); err != nil {
			return Report{}, fmt.Errorf("write %s: %w", name, err)
		}
		m := c.Map
		name = fileStem(i, c) + ".npy"
		if err := atomicfile.Write(filepath.Join(dir, name), func(w io.Writer) error {
			return npy.Write(w, tensor.FromFloat32([]int{m.H, m.W}, m.Data))
		}); err != nil {
			return Report{}, fmt.Errorf("write %s: %w", name, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return Report{}, err
	}
	// The grid's tiles: the same rendering on a copy of the photo at most
	// GridTileSide pixels on the long side, keeping only the pictures.
	small, scale := Fit(photo, 1, GridTileSide)
	tiles := make([]render.Tile, len(r.Classes))
	for i, c := range r.Classes {
		heat := Placement{Geo: r.Geometry, Scale: scale}.Heat(scaled[i], small.Rect.Size(), v.Colormap)
		tiles[i] = render.Tile{Image: Overlay(small, heat, v), Title: Title(c)}
	}
	if err := render.SavePNG(filepath.Join(dir, "grid.png"), grid([][]render.Tile{tiles})); err != nil {
		return Report{}, fmt.Errorf("write grid.png: %w", err)
	}
	rep := makeReport(r, boxes, v, photoFile)
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return Report{}, err
	}
	return rep, atomicfile.Write(filepath.Join(dir, "report.json"), func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// SummaryFile is the table a folder run writes beside its photos' folders:
// one row per explained class.
const SummaryFile = "summary.csv"

// CheckOutput reports, as a sentence, why the folder dir may not be
// replaced by a Save: it may be if it does not exist, is empty, holds only
// what an earlier Save wrote (report.json and the files it names, grid.png),
// or holds only such folders (an earlier explain of a folder of photos) and
// their SummaryFile. Anything else is the user's, and is not replaced.
func CheckOutput(dir string) error {
	ents, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot use the output folder %s: %w", dir, err)
	}
	foreign := ""
	if _, err := os.Stat(filepath.Join(dir, "report.json")); err == nil {
		foreign = foreignFile(dir, ents)
	} else {
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".camscope-") || e.Name() == SummaryFile && e.Type().IsRegular() {
				continue // a temporary folder, or a folder run's table
			}
			sub := filepath.Join(dir, e.Name())
			if _, err := os.Stat(filepath.Join(sub, "report.json")); err != nil || !e.IsDir() || CheckOutput(sub) != nil {
				foreign = e.Name()
				break
			}
		}
	}
	if foreign != "" {
		return fmt.Errorf("the output folder %s holds %s, which CAMscope did not write; "+
			"each run replaces the whole folder, so give a new or empty folder (or one an earlier explain wrote)", dir, foreign)
	}
	return nil
}

// foreignFile returns the name of the first entry of dir (which holds a
// report.json) that the report does not account for; "" if none.
func foreignFile(dir string, ents []os.DirEntry) string {
	ours := map[string]bool{"report.json": true, "grid.png": true}
	var rep Report
	if b, err := os.ReadFile(filepath.Join(dir, "report.json")); err != nil || json.Unmarshal(b, &rep) != nil {
		return "a report.json"
	}
	for _, c := range rep.Classes {
		ours[c.Overlay], ours[c.Map] = true, true
	}
	for _, e := range ents {
		n := e.Name()
		if ours[n] && !e.IsDir() || strings.HasPrefix(n, ".camscope-") {
			continue // ours, or a temporary folder of an earlier version
		}
		return n
	}
	return ""
}

// fullPhoto is the photo at its own size, or for a tensor input a
// mid-grey canvas of the tensor's size.
func fullPhoto(r *explain.Result) *image.RGBA {
	if r.Photo != nil {
		return render.ToRGBA(r.Photo)
	}
	photo := image.NewRGBA(image.Rect(0, 0, r.Geometry.PhotoWidth, r.Geometry.PhotoHeight))
	for i := range photo.Pix {
		photo.Pix[i] = 128
		if i%4 == 3 {
			photo.Pix[i] = 255
		}
	}
	return photo
}
