package render

import "math"

// Map is a 2-D float map such as a class activation map: H rows of W values,
// row-major (Data[i*W+j] is row i, column j).
type Map struct {
	W, H int
	Data []float32
}

// NewMap returns a zeroed w x h map.
func NewMap(w, h int) Map { return Map{W: w, H: h, Data: make([]float32, w*h)} }

// check panics if the map's size does not match its data: a programmer error.
func (m Map) check() {
	if m.W < 0 || m.H < 0 || len(m.Data) != m.W*m.H {
		panic("render: map data length does not match its size")
	}
}

// finite returns v, or 0 for NaN and ±Inf.
func finite(v float32) float32 {
	if v != v || math.IsInf(float64(v), 0) {
		return 0
	}
	return v
}

// Range returns the smallest and largest value over the maps. NaN and ±Inf
// are treated as 0 (a model that produced them has no meaningful value
// there). With relu, negative values count as 0. For no values it returns
// 0, 0.
func Range(relu bool, maps ...Map) (lo, hi float32) {
	first := true
	for _, m := range maps {
		m.check()
		for _, v := range m.Data {
			v = finite(v)
			if relu && v < 0 {
				v = 0
			}
			if first {
				lo, hi, first = v, v, false
				continue
			}
			lo = min(lo, v)
			hi = max(hi, v)
		}
	}
	return lo, hi
}

// Rescale returns a new map with (v-lo)/(hi-lo) for every value v, clamped to
// [0, 1]. NaN and ±Inf are treated as 0 first; with relu, negative values
// become 0 before scaling. If hi <= lo (a flat map) every value is 0: never
// NaN.
func Rescale(m Map, lo, hi float32, relu bool) Map {
	m.check()
	out := Map{W: m.W, H: m.H, Data: make([]float32, len(m.Data))}
	if !(hi > lo) {
		return out
	}
	scale := 1 / (hi - lo)
	for i, v := range m.Data {
		v = finite(v)
		if relu && v < 0 {
			v = 0
		}
		out.Data[i] = min(max((v-lo)*scale, 0), 1)
	}
	return out
}

// Normalize rescales m to [0, 1] by its own minimum and maximum (after ReLU
// if relu is set). NaN and ±Inf are treated as 0; a flat map gives all
// zeros. Per-map scaling makes maps of different classes incomparable: use
// NormalizeShared to compare them.
func Normalize(m Map, relu bool) Map {
	lo, hi := Range(relu, m)
	return Rescale(m, lo, hi, relu)
}

// NormalizeShared rescales all maps to [0, 1] with one scale: the minimum
// and maximum over all of them (after ReLU if relu is set), so that equal
// values get equal colours across tiles and models. NaN and ±Inf are treated
// as 0; if all values are equal every output is 0.
func NormalizeShared(relu bool, maps ...Map) []Map {
	lo, hi := Range(relu, maps...)
	out := make([]Map, len(maps))
	for i, m := range maps {
		out[i] = Rescale(m, lo, hi, relu)
	}
	return out
}
