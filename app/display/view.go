package display

import "camscope/app/render"

// View says how maps are shown. Changing it never re-runs the model.
type View struct {
	Colormap *render.Colormap
	Opacity  float64 // heat over photo: out = a*heat + (1-a)*photo
	// Shared puts all maps of a result on one scale (so classes compare);
	// otherwise each map is scaled to its own minimum and maximum.
	Shared bool
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

// sameScale reports whether maps normalised for a and for b are the same.
func sameScale(a, b View) bool { return a.Shared == b.Shared && a.ReLU == b.ReLU }
