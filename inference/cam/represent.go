package cam

import (
	"cmp"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"

	"camscope/inference/tensor"
)

// medoidRounds bounds the k-medoids refinement; it usually settles in
// three or four.
const medoidRounds = 8

// maxDistanceTable is the largest channel count whose pairwise distances
// are tabulated (4096 channels: 64 MiB of float32) for the medoid updates;
// above it the representatives are the farthest-point choice alone.
const maxDistanceTable = 4096

// representatives chooses the channels of feature ([1,C,h,w]) that the
// first stage of Score-CAM's fast variant runs (see ScoreOptions.Channels),
// and for every channel its representative: itself when it runs, -1 when
// it is constant (its mask is zero: the blank input), else the chosen
// channel nearest to its mask. With n <= 0 or at least the number of
// channels that are not constant, every such channel runs.
//
// Otherwise n representatives are chosen among the channels that are not
// constant: channel c's mask at the layer's grid, scaled to [0,1] by its
// minimum and maximum as Score-CAM scales the upsampled one, is a point
// m_c, weighed by e_c = sum A_c^2. The n/2 heaviest channels (at least
// one) are chosen and stay; each next is the channel farthest from those
// chosen, weighted (largest e_c * min_r |m_c - m_r|^2). Then weighted
// k-medoids: each channel joins its nearest representative, and each group
// of a representative that is not one of the heaviest gets as
// representative the member with the least weighted sum of squared
// distances to the group's members, until nothing changes. Ties go to the
// lower channel.
func representatives(feature *tensor.Tensor, n int) (reps, repOf []int) {
	live, masks, energy := channelMasks(feature)
	repOf = make([]int, feature.Shape[1])
	for ch := range repOf {
		repOf[ch] = -1
	}
	for _, ch := range live {
		repOf[ch] = ch
	}
	if n <= 0 || n >= len(live) {
		return live, repOf
	}
	dist := func(a, b int) float64 { return maskDistance(masks[a], masks[b]) }
	heavy := slices.Clone(live)
	slices.SortStableFunc(heavy, func(a, b int) int { return -cmp.Compare(energy[a], energy[b]) })
	fixed := n / 2
	reps = slices.Clone(heavy[:max(fixed, 1)])
	nearest := make([]float64, len(repOf)) // each live channel's distance to the nearest representative
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

// channelMasks returns the channels of feature ([1,C,h,w]) that are not
// constant, and for each such channel c its mask at the layer's grid,
// scaled to [0,1] by its minimum and maximum as Score-CAM scales the
// upsampled one, and its energy e_c = sum A_c^2 (both nil and 0 for a
// constant channel).
func channelMasks(feature *tensor.Tensor) (live []int, masks [][]float32, energy []float64) {
	c, hw := feature.Shape[1], feature.Shape[2]*feature.Shape[3]
	masks = make([][]float32, c)
	energy = make([]float64, c)
	for ch := range c {
		a := feature.F[ch*hw : (ch+1)*hw]
		lo, hi := minMax(a)
		if lo == hi {
			continue
		}
		live = append(live, ch)
		m := make([]float32, hw)
		for i, v := range a {
			m[i] = (v - lo) / (hi - lo)
			energy[ch] += float64(v) * float64(v)
		}
		masks[ch] = m
	}
	return live, masks, energy
}

// maskDistance is the squared Euclidean distance between two masks.
func maskDistance(a, b []float32) float64 {
	var d float64
	for i, v := range a {
		e := float64(v - b[i])
		d += e * e
	}
	return d
}

// interpNeighbours is how many run channels a channel that did not run
// takes its score from.
const interpNeighbours = 3

// share is one run's part in a channel's score: the channel's score is
// the sum over its shares of w times the score of run.
type share struct {
	run int
	w   float64
}

// interpolation gives each channel of live its shares of the channels
// that ran (run[i] ran as run i): a channel whose mask equals a run
// channel's takes that channel's score (the first such); any other takes
// the inverse-distance weighted mean of the scores of the interpNeighbours
// run channels nearest to its mask (weights 1/|m_c - m_r|, summing to 1;
// ties to the earlier run). The distance weighs cell p of the grid by
// cell[p], |m|^2 = sum_p (cell[p] m_p)^2 (all 1 when cell is nil).
// Constant channels get no shares.
func interpolation(masks [][]float32, live, run []int, cell []float64) [][]share {
	from := make([][]share, len(masks))
	type near struct {
		run int
		d   float64
	}
	cands := make([]near, len(run))
	for _, ch := range live {
		for i, r := range run {
			cands[i] = near{i, math.Sqrt(weightedDistance(masks[ch], masks[r], cell))}
		}
		slices.SortStableFunc(cands, func(a, b near) int { return cmp.Compare(a.d, b.d) })
		if cands[0].d == 0 {
			from[ch] = []share{{cands[0].run, 1}}
			continue
		}
		k := min(interpNeighbours, len(cands))
		var sum float64
		for _, c := range cands[:k] {
			sum += 1 / c.d
		}
		for _, c := range cands[:k] {
			from[ch] = append(from[ch], share{c.run, 1 / c.d / sum})
		}
	}
	return from
}

// weightedDistance is the squared distance between two masks with cell p
// weighed by cell[p], sum_p (cell[p] (a_p - b_p))^2; maskDistance when
// cell is nil.
func weightedDistance(a, b []float32, cell []float64) float64 {
	if cell == nil {
		return maskDistance(a, b)
	}
	var d float64
	for i, v := range a {
		e := cell[i] * float64(v-b[i])
		d += e * e
	}
	return d
}

// ridgeLambda is the penalty of cellWeights' ridge regression, for masks
// in [0,1] and scores in logits. Over the 64 MobileNet x photo cases and
// the six reference CNNs, 0.02 to 0.2 all bring every map to 0.95 of the
// exact one; 1 does not.
const ridgeLambda = 0.1

// cellWeights returns the weight of each cell of the layer's grid in the
// distance between masks that interpolates the scores of one class: how
// much that class's score depends on the cell, learned from the channels
// that ran (run, with scores y). It fits the scores as a linear function
// of the masks by ridge regression, y_r ~ mean(y) + (m_r - mean(m)) . u,
// minimising the squared error plus ridgeLambda |u|^2 (in its dual form,
// u = A^T (A A^T + ridgeLambda I)^-1 (y - mean(y)) with A the centred
// masks as rows, a system of one row per run channel whatever the grid).
// Cell p weighs 1 + |u_p| / mean_q |u_q|: every cell counts, and those the
// score depends on most count several times. All cells weigh 1 when u is
// zero (the scores are equal).
func cellWeights(masks [][]float32, run []int, y []float64) []float64 {
	n, hw := len(run), len(masks[run[0]])
	mean := make([]float64, hw)
	var ym float64
	for i, r := range run {
		for p, v := range masks[r] {
			mean[p] += float64(v) / float64(n)
		}
		ym += y[i] / float64(n)
	}
	a := mat.NewDense(n, hw, nil)
	for i, r := range run {
		for p, v := range masks[r] {
			a.Set(i, p, float64(v)-mean[p])
		}
	}
	gram := mat.NewSymDense(n, nil)
	gram.SymOuterK(1, a)
	for i := range n {
		gram.SetSym(i, i, gram.At(i, i)+ridgeLambda)
	}
	dy := mat.NewVecDense(n, nil)
	for i := range n {
		dy.SetVec(i, y[i]-ym)
	}
	cell := make([]float64, hw)
	for p := range cell {
		cell[p] = 1
	}
	var chol mat.Cholesky
	if !chol.Factorize(gram) {
		return cell // not reached: the penalty makes the matrix positive definite
	}
	var alpha, u mat.VecDense
	if err := chol.SolveVecTo(&alpha, dy); err != nil {
		return cell
	}
	u.MulVec(a.T(), &alpha)
	var sum float64
	for p := range hw {
		sum += math.Abs(u.AtVec(p))
	}
	if sum == 0 {
		return cell
	}
	for p := range cell {
		cell[p] += math.Abs(u.AtVec(p)) * float64(hw) / sum
	}
	return cell
}

// refine chooses m more channels of live to run, besides those of run,
// where the estimated map is most in doubt. The map is sum_c w_c A_c with
// w the softmax of the scores, so a channel's estimated score errs the
// map by about w_c |A_c| times the error of its score, and that error
// grows with the channel's distance to the run channels it is estimated
// from. The next channel is the one of largest weight[c] * |A_c| *
// min_r |m_c - m_r| (weight: the estimated softmax weight of the
// channel; |A_c| = sqrt(e_c); r over the run channels and those chosen
// so far); ties go to the earlier channel of live.
func refine(masks [][]float32, energy, weight []float64, live, run []int, m int) []int {
	nearest := make([]float64, len(masks))
	for _, ch := range live {
		nearest[ch] = math.Inf(1)
		for _, r := range run {
			nearest[ch] = math.Min(nearest[ch], maskDistance(masks[ch], masks[r]))
		}
	}
	var picks []int
	for len(picks) < m {
		next, best := -1, -1.0
		for _, ch := range live {
			if p := weight[ch] * math.Sqrt(energy[ch]*nearest[ch]); p > best && nearest[ch] > 0 {
				next, best = ch, p
			}
		}
		if next < 0 {
			break
		}
		picks = append(picks, next)
		for _, ch := range live {
			nearest[ch] = math.Min(nearest[ch], maskDistance(masks[ch], masks[next]))
		}
	}
	return picks
}
