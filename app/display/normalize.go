package display

import (
	"camscope/app/explain"
	"camscope/app/render"
)

// Normalize scales the maps of results to [0, 1] as v.Scale says, result
// by result: each map by its own minimum and maximum, each result's maps on
// one scale, or all maps of all results on one scale, so that equal values
// get equal colours across the tiles that share it.
func Normalize(v View, results ...*explain.Result) [][]render.Map {
	groups := make([][]render.Map, len(results))
	var all []render.Map
	for i, r := range results {
		for _, c := range r.Classes {
			groups[i] = append(groups[i], rawMap(c))
		}
		all = append(all, groups[i]...)
	}
	if v.Scale == OneScale {
		all = render.NormalizeShared(v.ReLU, all...)
		for i := range groups {
			groups[i], all = all[:len(groups[i])], all[len(groups[i]):]
		}
		return groups
	}
	for i, g := range groups {
		groups[i] = normalizeMaps(v, g)
	}
	return groups
}

// normalizeMaps scales the maps of one result.
func normalizeMaps(v View, maps []render.Map) []render.Map {
	if v.Scale != PerTile {
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
