package faithfulness

import (
	"fmt"
	"math"

	"camscope/app/render"
	"camscope/inference/cam"
)

// Saliency is a map placed on the model's input: one value in [0,1] per
// input pixel, row-major, W x H.
type Saliency struct {
	W, H int
	Data []float32
}

// Place puts a raw map (on the feature grid, or already at the input's
// size) on a w x h input, as pytorch-grad-cam does before measuring it:
// negative values set to 0, scaled by its minimum and maximum to [0,1],
// then upsampled bilinearly over the whole input (cell centres at their
// pixels' centres, clamped at the edges). A flat map becomes
// all zeros. A map with no cells, a size that does not match its values,
// or a value that is NaN or infinite is refused.
func Place(m cam.Map, w, h int) (Saliency, error) {
	if w < 1 || h < 1 {
		return Saliency{}, fmt.Errorf("the input size %dx%d holds no pixels", w, h)
	}
	if m.W < 1 || m.H < 1 || len(m.Data) != m.W*m.H {
		return Saliency{}, fmt.Errorf("the map is %dx%d with %d values; give a map of at least one cell with one value per cell", m.W, m.H, len(m.Data))
	}
	for _, v := range m.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return Saliency{}, fmt.Errorf("the map holds %v; the model or method produced no usable map for this input", v)
		}
	}
	grid := render.Map{W: m.W, H: m.H, Data: m.Data}
	lo, hi := render.Range(true, grid)
	up, _ := render.Upsample(render.Rescale(grid, lo, hi, true), render.FullRect(w, h), w, h)
	for i, v := range up.Data {
		up.Data[i] = min(max(v, 0), 1) // rounding may step out by an ulp
	}
	return Saliency{W: w, H: h, Data: up.Data}, nil
}

// check refuses a saliency that does not fit the photo.
func (p *Photo) check(s Saliency) error {
	if s.W != p.w || s.H != p.h || len(s.Data) != s.W*s.H {
		return fmt.Errorf("the map is %dx%d (%d values) but the input is %dx%d; place the map on the input first (Place)", s.W, s.H, len(s.Data), p.w, p.h)
	}
	for _, v := range s.Data {
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("the map holds %v; a placed map lies in [0,1] (see Place)", v)
		}
	}
	return nil
}
