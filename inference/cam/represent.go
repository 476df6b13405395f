package cam

import (
	"cmp"
	"math"
	"slices"

	"camscope/inference/tensor"
)

// medoidRounds bounds the k-medoids refinement; it usually settles in
// three or four.
const medoidRounds = 8

// maxDistanceTable is the largest channel count whose pairwise distances
// are tabulated (4096 channels: 64 MiB of float32) for the medoid updates;
// above it the representatives are the farthest-point choice alone.
const maxDistanceTable = 4096

// representatives chooses the channels of feature ([1,C,h,w]) whose
// masked inputs Score-CAM runs, and for every channel the channel whose
// scores it takes (itself when it runs, -1 when it is constant: its mask
// is zero and it takes the blank input's). With n <= 0 or at least the
// number of channels that are not constant, every such channel runs.
//
// Otherwise n representatives are chosen among the channels that are not
// constant: channel c's mask at the layer's grid, scaled to [0,1] by its
// minimum and maximum as Score-CAM scales the upsampled one, is a point
// m_c, weighed by e_c = sum A_c^2. The first representative is the
// heaviest channel; each next is the channel farthest from those chosen,
// weighted (largest e_c * min_r |m_c - m_r|^2). Then weighted k-medoids:
// each channel joins its nearest representative, and each group's
// representative becomes the member with the least weighted sum of squared
// distances to the group's members, until nothing changes. Ties go to the
// lower channel.
func representatives(feature *tensor.Tensor, n int) (reps, repOf []int) {
	c, hw := feature.Shape[1], feature.Shape[2]*feature.Shape[3]
	repOf = make([]int, c)
	var live []int // the channels that are not constant
	for ch := range c {
		if lo, hi := minMax(feature.F[ch*hw : (ch+1)*hw]); lo == hi {
			repOf[ch] = -1
		} else {
			repOf[ch] = ch
			live = append(live, ch)
		}
	}
	if n <= 0 || n >= len(live) {
		return live, repOf
	}
	masks := make([][]float32, c)
	energy := make([]float64, c)
	for _, ch := range live {
		a := feature.F[ch*hw : (ch+1)*hw]
		lo, hi := minMax(a)
		m := make([]float32, hw)
		for i, v := range a {
			m[i] = (v - lo) / (hi - lo)
			energy[ch] += float64(v) * float64(v)
		}
		masks[ch] = m
	}
	dist := func(a, b int) float64 {
		var d float64
		for i, v := range masks[a] {
			e := float64(v - masks[b][i])
			d += e * e
		}
		return d
	}
	heavy := slices.Clone(live)
	slices.SortStableFunc(heavy, func(a, b int) int { return -cmp.Compare(energy[a], energy[b]) })
	fixed := n / 2
	reps = slices.Clone(heavy[:max(fixed, 1)])
	nearest := make([]float64, c) // each live channel's distance to the nearest representative
	for _, ch := range live {
		nearest[ch] = math.Inf(1)
		for _, r := range reps {
			nearest[ch] = math.Min(nearest[ch], dist(ch, r))
		}
	}
	for len(reps) < n {
		next, far := -1, -1.0
		for _, ch := range live {
			if f := energy[ch] * nearest[ch]; f > far && !slices.Contains(reps, ch) {
				next, far = ch, f
			}
		}
		reps = append(reps, next)
		for _, ch := range live {
			nearest[ch] = math.Min(nearest[ch], dist(ch, next))
		}
	}
	if len(live) <= maxDistanceTable {
		reps = medoids(live, reps, fixed, energy, dist)
	}
	for _, ch := range live {
		repOf[ch] = reps[closest(ch, reps, dist)]
	}
	slices.Sort(reps)
	return reps, repOf
}

// medoids refines the representatives reps of the channels live by
// weighted k-medoids (see representatives), over a table of their
// pairwise distances.
func medoids(live, reps []int, fixed int, energy []float64, dist func(a, b int) float64) []int {
	index := make(map[int]int, len(live))
	for i, ch := range live {
		index[ch] = i
	}
	table := make([]float32, len(live)*len(live))
	for i, a := range live {
		for j := i + 1; j < len(live); j++ {
			d := float32(dist(a, live[j]))
			table[i*len(live)+j], table[j*len(live)+i] = d, d
		}
	}
	d := func(a, b int) float64 { return float64(table[index[a]*len(live)+index[b]]) }
	reps = slices.Clone(reps)
	for range medoidRounds {
		groups := make([][]int, len(reps))
		for _, ch := range live {
			g := closest(ch, reps, d)
			groups[g] = append(groups[g], ch)
		}
		changed := false
		for g, members := range groups {
			if g < fixed {
				continue
			}
			best, cost := reps[g], math.Inf(1)
			for _, a := range members {
				var sum float64
				for _, b := range members {
					sum += energy[b] * d(a, b)
				}
				if sum < cost {
					best, cost = a, sum
				}
			}
			changed = changed || best != reps[g]
			reps[g] = best
		}
		if !changed {
			break
		}
	}
	return reps
}

// closest returns the index in reps of the representative nearest to ch,
// the first of equals.
func closest(ch int, reps []int, dist func(a, b int) float64) int {
	best, bd := 0, math.Inf(1)
	for i, r := range reps {
		if d := dist(ch, r); d < bd {
			best, bd = i, d
		}
	}
	return best
}
