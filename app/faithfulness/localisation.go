package faithfulness

import (
	"fmt"
	"image"

	"camscope/app/render"
)

// LocThreshold is the fraction of the map's maximum the CAM paper's box
// keeps (Zhou et al. 2016).
const LocThreshold = 0.2

// Localisation is how well a map finds an object whose box is known.
type Localisation struct {
	// Box is the CAM paper's box (Zhou et al. 2016, "Learning Deep
	// Features for Discriminative Localization"): the bounding box of the
	// largest 8-connected region of pixels at or above LocThreshold of the
	// map's maximum; empty when the map is 0 everywhere.
	Box image.Rectangle `json:"box"`
	IoU float64         `json:"iou"` // of Box with the true box
	// Hit is the pointing game (Zhang et al. 2016, "Top-down Neural
	// Attention by Excitation Backprop"): the map's maximum (its first
	// pixel in row-major order) lies in the true box. A flat map points
	// nowhere: no hit.
	Hit bool `json:"hit"`
}

// Localise measures the map s against the true box (input pixels, Max
// exclusive).
func Localise(s Saliency, truth image.Rectangle) (Localisation, error) {
	if s.W < 1 || s.H < 1 || len(s.Data) != s.W*s.H {
		return Localisation{}, fmt.Errorf("the map is %dx%d with %d values; place it on the input first (Place)", s.W, s.H, len(s.Data))
	}
	if truth.Empty() || !truth.In(image.Rect(0, 0, s.W, s.H)) {
		return Localisation{}, fmt.Errorf("the true box %v is empty or outside the %dx%d input", truth, s.W, s.H)
	}
	best, lo := 0, s.Data[0]
	for i, v := range s.Data {
		if !(v >= 0 && v <= 1) {
			return Localisation{}, fmt.Errorf("the map holds %v; a placed map lies in [0,1] (see Place)", v)
		}
		if v > s.Data[best] {
			best = i
		}
		lo = min(lo, v)
	}
	var l Localisation
	hi := s.Data[best]
	if hi > lo {
		l.Hit = image.Pt(best%s.W, best/s.W).In(truth)
	}
	if hi > 0 {
		if box, ok := render.ThresholdBox(render.Map{W: s.W, H: s.H, Data: s.Data}, LocThreshold*hi); ok {
			l.Box = box
		}
	}
	l.IoU = IoU(l.Box, truth)
	return l, nil
}

// IoU is the intersection over union of two boxes; 0 when both are empty.
func IoU(a, b image.Rectangle) float64 {
	in := a.Intersect(b)
	ai := float64(in.Dx() * in.Dy())
	u := float64(a.Dx()*a.Dy()+b.Dx()*b.Dy()) - ai
	if u <= 0 {
		return 0
	}
	return ai / u
}
