package display

import (
	"camscope/app/explain"
	"camscope/app/render"
)

// Normalize scales maps to [0, 1] as v says: each by its own minimum and
// maximum, or with v.Shared all on one scale so that equal values get equal
// colours across tiles and models.
func Normalize(v View, maps ...render.Map) []render.Map {
	if v.Shared {
		return render.NormalizeShared(v.ReLU, maps...)
	}
	out := make([]render.Map, len(maps))
	for i, m := range maps {
		out[i] = render.Normalize(m, v.ReLU)
	}
	return out
}

// rawMap is class c's map as package render takes it.
func rawMap(c explain.Explained) render.Map {
	return render.Map{W: c.Map.W, H: c.Map.H, Data: c.Map.Data}
}
