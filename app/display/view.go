package display

import "camscope/app/render"

// View says how maps are shown. Changing it never re-runs the model.
type View struct {
	Colormap *render.Colormap
	Opacity  float64 // heat over photo: out = a*heat + (1-a)*photo
	// Scale says which maps share a scale.
	Scale Scale
	// ReLU drops negative evidence before scaling (Grad-CAM's convention,
	// and what the CAM paper's 20% threshold assumes).
	ReLU bool
	// Box draws the CAM paper's localisation: the box around the largest
	// connected region above BoxThreshold of the scaled map.
	Box          bool
	BoxThreshold float64
	Contour      bool // outline the same region
}

// DefaultView is what the program shows first.
func DefaultView() View {
	return View{Colormap: render.Jet, Opacity: 0.5, ReLU: true, Box: false, BoxThreshold: DefaultBoxThreshold}
}

// DefaultBoxThreshold is the CAM paper's: 20% of the map's maximum.
const DefaultBoxThreshold = 0.2

// Scale says which maps are put on one scale.
type Scale int

const (
	// PerTile scales each map to its own minimum and maximum.
	PerTile Scale = iota
	// PerResult puts the maps of one result (one model's or one method's
	// row) on one scale, so that its classes compare.
	PerResult
	// OneScale puts every map of every result on one raw scale: only
	// meaningful when the raw values are comparable (the same model).
	OneScale
)

// sameScale reports whether maps normalised for a and for b are the same.
func sameScale(a, b View) bool { return a.Scale == b.Scale && a.ReLU == b.ReLU }
