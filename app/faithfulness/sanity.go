package faithfulness

import (
	"context"
	"fmt"
	"math"
	"sort"

	"camscope/inference"
)

// MapFunc computes the map under test with the given model (the original,
// then copies with layers re-initialised), placed on the input.
type MapFunc func(ctx context.Context, m *inference.Model) (Saliency, error)

// Sanity is the model-randomisation sanity check (Adebayo et al. 2018,
// "Sanity Checks for Saliency Maps"): the map of the model as trained is
// compared with the maps of copies whose last 1, 2, ..., n weighted layers
// have random weights (cascading, from the output; see
// inference.Model.Reinitialized), by Spearman's rank correlation over the
// pixels. A map that explains the model changes as the model is destroyed
// (the correlation falls); one that stays near 1 explains the image (an
// edge detector would pass too).
type Sanity struct {
	Layers       []string  `json:"layers"`       // Layers[i] is the one re-initialised at depth i+1
	Correlations []float64 `json:"correlations"` // with the map at depth i+1
}

// SanityCheck re-initialises up to depth layers of m, one more each time,
// with draws from seed, and correlates mapOf's maps with the original's.
func SanityCheck(ctx context.Context, m *inference.Model, depth int, seed uint64, mapOf MapFunc) (Sanity, error) {
	if n := len(m.WeightedLayers()); depth < 1 || depth > n {
		return Sanity{}, fmt.Errorf("the sanity check re-initialises 1 to %d layers of %s, not %d", n, m.Name, depth)
	}
	base, err := mapOf(ctx, m)
	if err != nil {
		return Sanity{}, err
	}
	var s Sanity
	for i := 1; i <= depth; i++ {
		r, layers, err := m.Reinitialized(i, seed)
		if err != nil {
			return Sanity{}, err
		}
		got, err := mapOf(ctx, r)
		if err != nil {
			return Sanity{}, err
		}
		c, err := Spearman(base, got)
		if err != nil {
			return Sanity{}, err
		}
		s.Layers = append(s.Layers, layers[0])
		s.Correlations = append(s.Correlations, c)
	}
	return s, nil
}

// Spearman is the rank correlation of two maps of the same size: Pearson's
// correlation of their values' ranks (ties get their mean rank). Two flat
// maps correlate 1; a flat map with another, 0.
func Spearman(a, b Saliency) (float64, error) {
	if a.W != b.W || a.H != b.H || len(a.Data) != len(b.Data) || len(a.Data) == 0 {
		return 0, fmt.Errorf("the maps are %dx%d and %dx%d; rank correlation needs two maps of the same size", a.W, a.H, b.W, b.H)
	}
	ra, rb := ranks(a.Data), ranks(b.Data)
	n := float64(len(ra))
	var ma, mb float64
	for i := range ra {
		ma += ra[i]
		mb += rb[i]
	}
	ma, mb = ma/n, mb/n
	var sab, saa, sbb float64
	for i := range ra {
		da, db := ra[i]-ma, rb[i]-mb
		sab += da * db
		saa += da * da
		sbb += db * db
	}
	switch {
	case saa == 0 && sbb == 0:
		return 1, nil
	case saa == 0 || sbb == 0:
		return 0, nil
	}
	return sab / math.Sqrt(saa*sbb), nil
}

// ranks gives each value its rank (1-based), ties their mean rank.
func ranks(v []float32) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return v[idx[a]] < v[idx[b]] })
	r := make([]float64, len(v))
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && v[idx[j]] == v[idx[i]] {
			j++
		}
		mean := float64(i+j+1) / 2 // ranks i+1..j
		for _, k := range idx[i:j] {
			r[k] = mean
		}
		i = j
	}
	return r
}
