package display

import (
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"

	"camscope/app/atomicfile"
	"camscope/app/explain"
	"camscope/app/render"
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
	MapSize    [2]int `json:"map_size"` // width, height of the feature grid
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
}

// makeReport describes the result as v shows it in scene s (the result on
// its photo); photoFile names the input.
func makeReport(r *explain.Result, s *Scene, v View, photoFile string) Report {
	m := r.Model
	ok, _ := m.Explainer.SupportsCAM()
	rep := Report{
		Photo: PhotoInfo{File: photoFile, Width: r.Geometry.PhotoWidth, Height: r.Geometry.PhotoHeight},
		Model: ModelInfo{Name: m.Name, Path: m.Path, Input: m.Engine.Inputs[0].Shape, Classes: m.NumClasses(),
			Layer: m.Layer(), Labels: m.LabelsPath, Opset: m.Engine.Opset, CAMApplies: ok},
		Preprocessing: m.Spec, Source: m.SpecSource,
		Crop:   [4]float64{r.Geometry.Crop.X0, r.Geometry.Crop.Y0, r.Geometry.Crop.X1, r.Geometry.Crop.Y1},
		Method: string(r.Request.Method), Normalisation: "per-map", ReLU: v.ReLU, BoxThreshold: v.BoxThreshold,
		TimingsMS: map[string]float64{
			"preprocess": ms(r.Timings.Preprocess.Seconds()), "forward": ms(r.Timings.Forward.Seconds()), "maps": ms(r.Timings.Maps.Seconds()),
		},
	}
	if w, h, ok := m.MapSize(); ok {
		rep.Model.MapSize = [2]int{w, h}
	}
	if v.Shared {
		rep.Normalisation = "shared"
	}
	for i, c := range r.Classes {
		lo, hi := render.Range(false, rawMap(c))
		cr := ClassReport{Rank: c.Rank, Index: c.Index, Label: c.Label, Prob: c.Prob, Logit: c.Logit,
			Overlay: fileStem(i, c) + ".png", Map: fileStem(i, c) + ".npy", MapMin: lo, MapMax: hi}
		if b, ok := box(s.Rows[0][i].Heat, v.BoxThreshold); ok {
			cr.Box = []int{b.Min.X, b.Min.Y, b.Max.X, b.Max.Y}
		}
		rep.Classes = append(rep.Classes, cr)
	}
	return rep
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

// Save writes the result, as v shows it, into dir: one overlay PNG and one
// raw map (.npy, float32, feature-grid resolution) per class, grid.png and
// report.json; photoFile names the input in the report. Everything is
// written into a temporary folder inside dir first and moved into place at
// the end, so a failure leaves no half-written result.
func Save(dir string, r *explain.Result, v View, photoFile string) (err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create the output folder %s: %w", dir, err)
	}
	tmp, err := os.MkdirTemp(dir, ".camscope-")
	if err != nil {
		return fmt.Errorf("cannot write into the output folder %s: %w", dir, err)
	}
	defer os.RemoveAll(tmp)
	files := map[string]func(path string) error{}
	s := fullScene(r, v)
	tiles := make([]render.Tile, len(r.Classes))
	for i, c := range r.Classes {
		img, m := s.Rows[0][i].Image, c.Map
		tiles[i] = render.Tile{Image: img, Title: Title(c)}
		files[fileStem(i, c)+".png"] = func(p string) error { return render.SavePNG(p, img) }
		files[fileStem(i, c)+".npy"] = func(p string) error {
			return atomicfile.Write(p, func(w io.Writer) error { return npy.Write(w, tensor.FromFloat32([]int{m.H, m.W}, m.Data)) })
		}
	}
	g := grid([][]render.Tile{tiles})
	files["grid.png"] = func(p string) error { return render.SavePNG(p, g) }
	rep := makeReport(r, s, v, photoFile)
	files["report.json"] = func(p string) error {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		return atomicfile.Write(p, func(w io.Writer) error {
			_, err := w.Write(append(b, '\n'))
			return err
		})
	}
	for name, write := range files {
		if err := write(filepath.Join(tmp, name)); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	var errs []error
	for name := range files {
		if err := os.Rename(filepath.Join(tmp, name), filepath.Join(dir, name)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// fullScene is the result on the photo at its own size, or for a tensor
// input on a mid-grey canvas of the tensor's size.
func fullScene(r *explain.Result, v View) *Scene {
	photo := r.Photo
	if photo == nil {
		photo = image.NewRGBA(image.Rect(0, 0, r.Geometry.PhotoWidth, r.Geometry.PhotoHeight))
		for i := range photo.Pix {
			photo.Pix[i] = 128
			if i%4 == 3 {
				photo.Pix[i] = 255
			}
		}
	}
	return newScene(render.ToRGBA(photo), 1, []*explain.Result{r}, v)
}
