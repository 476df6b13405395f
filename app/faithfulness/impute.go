package faithfulness

import "math"

// The noisy linear imputation's system (see Photo.impute) is, for the
// removed pixels, a graph Laplacian with the kept pixels as fixed
// values: symmetric positive definite, the same matrix for every channel,
// and badly conditioned (its condition number grows with the square of
// the removed region's width), so plain conjugate gradients take hundreds
// of iterations on a 224 x 224 input. Here conjugate gradients are
// preconditioned by one multigrid V-cycle, which takes the iterations
// down to about ten whatever the size: each coarse grid has every other
// point of the one above in each direction, takes its corrections to the
// finer grid by bilinear interpolation (see coarsen), and has the
// Galerkin product P^T A P as its matrix (so it stays a 9-point stencil,
// symmetric positive definite); Gauss-Seidel smooths forward before the
// coarse correction and backward after it (so the preconditioner is
// symmetric, as conjugate gradients need), and the coarsest grid is
// solved by Cholesky. All channels are solved together, each with its
// own step lengths, in one pass over the matrix.

// imputeTol is the relative residual at which a channel's solution is
// taken: ||b - A v|| <= imputeTol ||b||.
const imputeTol = 1e-10

// imputeMaxIter bounds the iterations (the multigrid preconditioner
// converges in a few tens; a bound keeps a NaN input from looping).
const imputeMaxIter = 200

// coarsest is the number of unknowns at or below which a grid is solved
// directly.
const coarsest = 200

// grid is one level of the multigrid hierarchy: the unknowns of a w x h
// grid, stored with a border of one cell (so that neighbours need no
// bounds checks), and each unknown's 9-point stencil.
type grid struct {
	w, h  int
	nc    int     // channels
	cells []int32 // each unknown's index in the bordered grid, row-major
	// coef holds 9 coefficients per unknown, for the neighbours at (dy,
	// dx) in row-major order of {-1,0,1}^2 (the centre, the diagonal, is
	// entry 4); a neighbour that is not an unknown has 0.
	coef []float64
	off  [9]int
	// parent and weight: the coarse cells (bordered indices) each unknown
	// interpolates from, 4 slots per unknown
	parent []int32
	weight []float64
	coarse *grid
	chol   []float64 // coarsest grid: the Cholesky factor of its dense matrix
	x, b   []float64 // nc values per bordered cell; zero off the unknowns
	r      []float64
}

func newGrid(w, h, nc int) *grid {
	g := &grid{w: w, h: h, nc: nc}
	bw := w + 2
	for k := range 9 {
		g.off[k] = (k/3-1)*bw + k%3 - 1
	}
	n := (w + 2) * (h + 2) * nc
	g.x, g.b, g.r = make([]float64, n), make([]float64, n), make([]float64, n)
	return g
}

// at is the bordered index of (x, y).
func (g *grid) at(x, y int) int { return (y+1)*(g.w+2) + x + 1 }

// imputeWeights are the neighbours' weights by stencil entry.
var imputeWeights = [9]float64{1.0 / 12, 1.0 / 6, 1.0 / 12, 1.0 / 6, 0, 1.0 / 6, 1.0 / 12, 1.0 / 6, 1.0 / 12}

// imputeSystem sets up the imputation's system for the removed pixels
// (!keep) of a w x h image of nc channels, value(c, i) the value of
// channel c at pixel i: the matrix on the finest grid, its coarse grids,
// and the right-hand side in g.b.
func imputeSystem(w, h, nc int, keep []bool, value func(c, i int) float64) *grid {
	g := newGrid(w, h, nc)
	for i, k := range keep {
		if k {
			continue
		}
		y, x := i/w, i%w
		var st [9]float64
		c := g.at(x, y)
		for k := range 9 {
			if k == 4 {
				continue
			}
			yy, xx := y+k/3-1, x+k%3-1
			if yy < 0 || yy >= h || xx < 0 || xx >= w {
				continue
			}
			st[4] += imputeWeights[k]
			j := yy*w + xx
			if keep[j] {
				for ch := range nc {
					g.b[nc*c+ch] += imputeWeights[k] * value(ch, j)
				}
			} else {
				st[k] = -imputeWeights[k]
			}
		}
		g.cells = append(g.cells, int32(c))
		g.coef = append(g.coef, st[:]...)
	}
	g.coarsen()
	return g
}

// coarsen builds the coarser grids below g, or g's Cholesky factor when
// it is small enough to solve directly. The coarse grid's points are the
// fine grid's at even coordinates (those that are unknowns); a fine
// unknown takes the coarse correction by bilinear interpolation from the
// coarse points around it (weights 1, 1/2 or 1/4; none from a point that
// is not an unknown, as the error is 0 on the kept pixels; the last row
// or column of an even size copies the one before, so that constants,
// which the image's edges do not pin down, interpolate exactly), and the
// coarse matrix is the Galerkin product P^T A P, again a 9-point stencil.
func (g *grid) coarsen() {
	n := len(g.cells)
	if n <= coarsest || (g.w <= 2 && g.h <= 2) {
		g.factor()
		return
	}
	c := newGrid((g.w+1)/2, (g.h+1)/2, g.nc)
	bw, cbw := g.w+2, c.w+2
	fine := make([]int32, (g.w+2)*(g.h+2)) // unknown index + 1 of each fine cell
	for u, cell := range g.cells {
		fine[cell] = int32(u + 1)
	}
	id := make([]int32, (c.w+2)*(c.h+2)) // coarse unknown index + 1
	for y := 0; y < g.h; y += 2 {
		for x := 0; x < g.w; x += 2 {
			if fine[g.at(x, y)] != 0 {
				p := c.at(x/2, y/2)
				c.cells = append(c.cells, int32(p))
				id[p] = int32(len(c.cells))
			}
		}
	}
	g.parent = make([]int32, 4*n) // up to 4 coarse cells per unknown; unused: cell 0, weight 0
	g.weight = make([]float64, 4*n)
	for u, cell := range g.cells {
		x, y := int(cell)%bw-1, int(cell)/bw-1
		xs, wx := interpolation(x, c.w)
		ys, wy := interpolation(y, c.h)
		slot := 4 * u
		for i, py := range ys {
			for j, px := range xs {
				if p := c.at(px, py); id[p] != 0 && wx[j]*wy[i] != 0 {
					g.parent[slot], g.weight[slot] = int32(p), wx[j]*wy[i]
					slot++
				}
			}
		}
	}
	c.coef = make([]float64, 9*len(c.cells))
	for u, cell := range g.cells {
		for k := range 9 {
			a := g.coef[9*u+k]
			if a == 0 {
				continue
			}
			j := int(fine[int(cell)+g.off[k]]) - 1
			for s := 4 * u; s < 4*u+4; s++ {
				pi, wi := int(g.parent[s]), g.weight[s]
				if wi == 0 {
					continue
				}
				row := c.coef[9*int(id[pi]-1) : 9*int(id[pi])]
				for t := 4 * j; t < 4*j+4; t++ {
					pj, wj := int(g.parent[t]), g.weight[t]
					if wj != 0 {
						row[(pj/cbw-pi/cbw+1)*3+pj%cbw-pi%cbw+1] += wi * a * wj
					}
				}
			}
		}
	}
	g.coarse = c
	c.coarsen()
}

// interpolation gives the coarse coordinates a fine coordinate x
// interpolates from, with their weights (0 for none), on a coarse axis of
// n points.
func interpolation(x, n int) ([2]int, [2]float64) {
	if x%2 == 0 {
		return [2]int{x / 2, 0}, [2]float64{1, 0}
	}
	if (x+1)/2 >= n {
		return [2]int{x / 2, 0}, [2]float64{1, 0}
	}
	return [2]int{x / 2, x/2 + 1}, [2]float64{0.5, 0.5}
}

// factor computes the Cholesky factor of g's matrix, dense.
func (g *grid) factor() {
	n := len(g.cells)
	id := map[int]int{}
	for u, c := range g.cells {
		id[int(c)] = u
	}
	a := make([]float64, n*n)
	for u, c := range g.cells {
		for k := range 9 {
			if v := g.coef[9*u+k]; v != 0 {
				a[u*n+id[int(c)+g.off[k]]] = v
			}
		}
	}
	for j := range n {
		d := a[j*n+j]
		for k := range j {
			d -= a[j*n+k] * a[j*n+k]
		}
		d = math.Sqrt(max(d, 1e-300))
		a[j*n+j] = d
		for i := j + 1; i < n; i++ {
			s := a[i*n+j]
			for k := range j {
				s -= a[i*n+k] * a[j*n+k]
			}
			a[i*n+j] = s / d
		}
	}
	g.chol = a
}

// mul sets dst = A v on the unknowns.
func (g *grid) mul(dst, v []float64) {
	nc, off := g.nc, g.off
	for u, cell := range g.cells {
		a := g.coef[9*u : 9*u+9 : 9*u+9]
		c := int(cell)
		for ch := range nc {
			dst[nc*c+ch] = a[0]*v[nc*(c+off[0])+ch] + a[1]*v[nc*(c+off[1])+ch] + a[2]*v[nc*(c+off[2])+ch] +
				a[3]*v[nc*(c+off[3])+ch] + a[4]*v[nc*c+ch] + a[5]*v[nc*(c+off[5])+ch] +
				a[6]*v[nc*(c+off[6])+ch] + a[7]*v[nc*(c+off[7])+ch] + a[8]*v[nc*(c+off[8])+ch]
		}
	}
}

// sweep is one Gauss-Seidel sweep for A x = b, over the unknowns in order
// or backwards.
func (g *grid) sweep(x, b []float64, backward bool) {
	nc, off, n := g.nc, g.off, len(g.cells)
	for t := range n {
		u := t
		if backward {
			u = n - 1 - t
		}
		a := g.coef[9*u : 9*u+9 : 9*u+9]
		c := int(g.cells[u])
		for ch := range nc {
			s := b[nc*c+ch] - (a[0]*x[nc*(c+off[0])+ch] + a[1]*x[nc*(c+off[1])+ch] + a[2]*x[nc*(c+off[2])+ch] +
				a[3]*x[nc*(c+off[3])+ch] + a[5]*x[nc*(c+off[5])+ch] +
				a[6]*x[nc*(c+off[6])+ch] + a[7]*x[nc*(c+off[7])+ch] + a[8]*x[nc*(c+off[8])+ch])
			x[nc*c+ch] = s / a[4]
		}
	}
}

// vcycle sets g.x to the multigrid approximation of A^-1 g.b.
func (g *grid) vcycle() {
	nc := g.nc
	if g.chol != nil {
		g.direct()
		return
	}
	for _, c := range g.cells {
		for ch := range nc {
			g.x[nc*int(c)+ch] = 0
		}
	}
	g.sweep(g.x, g.b, false)
	g.mul(g.r, g.x)
	cg := g.coarse
	for _, c := range cg.cells {
		for ch := range nc {
			cg.b[nc*int(c)+ch] = 0
		}
	}
	for u, c := range g.cells {
		for s := 4 * u; s < 4*u+4; s++ {
			p, w := int(g.parent[s]), g.weight[s]
			for ch := range nc {
				cg.b[nc*p+ch] += w * (g.b[nc*int(c)+ch] - g.r[nc*int(c)+ch])
			}
		}
	}
	cg.vcycle()
	for u, c := range g.cells {
		for s := 4 * u; s < 4*u+4; s++ {
			p, w := int(g.parent[s]), g.weight[s]
			for ch := range nc {
				g.x[nc*int(c)+ch] += w * cg.x[nc*p+ch]
			}
		}
	}
	g.sweep(g.x, g.b, true)
}

// direct solves A x = b on the coarsest grid with its Cholesky factor.
func (g *grid) direct() {
	n, nc, l := len(g.cells), g.nc, g.chol
	y := make([]float64, n)
	for ch := range nc {
		for i, c := range g.cells {
			s := g.b[nc*int(c)+ch]
			for k := range i {
				s -= l[i*n+k] * y[k]
			}
			y[i] = s / l[i*n+i]
		}
		for i := n - 1; i >= 0; i-- {
			s := y[i]
			for k := i + 1; k < n; k++ {
				s -= l[k*n+i] * y[k]
			}
			y[i] = s / l[i*n+i]
			g.x[nc*int(g.cells[i])+ch] = y[i]
		}
	}
}

// solve sets v (nc values per bordered cell of the finest grid, read
// as the starting guess on the unknowns and zero elsewhere) to the
// solution of A v = b, by conjugate gradients preconditioned with a
// V-cycle, each channel to a relative residual of imputeTol.
func (g *grid) solve(v []float64) {
	nc := g.nc
	n := len(v)
	r, p, q := make([]float64, n), make([]float64, n), make([]float64, n)
	b := append([]float64(nil), g.b...)
	g.mul(q, v)
	bb := make([]float64, nc)
	for _, c := range g.cells {
		for ch := range nc {
			i := nc*int(c) + ch
			r[i] = b[i] - q[i]
			bb[ch] += b[i] * b[i]
		}
	}
	// z = M r, computed by the V-cycle in g.x from g.b.
	precondition := func() {
		copy(g.b, r)
		g.vcycle()
	}
	precondition()
	rz := make([]float64, nc)
	for _, c := range g.cells {
		for ch := range nc {
			i := nc*int(c) + ch
			p[i] = g.x[i]
			rz[ch] += r[i] * g.x[i]
		}
	}
	alpha, beta := make([]float64, nc), make([]float64, nc)
	pq, rr := make([]float64, nc), make([]float64, nc)
	done := make([]bool, nc)
	for range imputeMaxIter {
		g.mul(q, p)
		clear(pq)
		for _, c := range g.cells {
			for ch := range nc {
				i := nc*int(c) + ch
				pq[ch] += p[i] * q[i]
			}
		}
		for ch := range nc {
			alpha[ch] = 0
			if !done[ch] && pq[ch] > 0 {
				alpha[ch] = rz[ch] / pq[ch]
			}
		}
		clear(rr)
		for _, c := range g.cells {
			for ch := range nc {
				i := nc*int(c) + ch
				v[i] += alpha[ch] * p[i]
				r[i] -= alpha[ch] * q[i]
				rr[ch] += r[i] * r[i]
			}
		}
		all := true
		for ch := range nc {
			// A NaN residual counts as done: it will not get better.
			done[ch] = done[ch] || !(rr[ch] > imputeTol*imputeTol*bb[ch])
			all = all && done[ch]
		}
		if all {
			break
		}
		precondition()
		for ch := range nc {
			beta[ch] = 0
		}
		rz2 := make([]float64, nc)
		for _, c := range g.cells {
			for ch := range nc {
				i := nc*int(c) + ch
				rz2[ch] += r[i] * g.x[i]
			}
		}
		for ch := range nc {
			if !done[ch] && rz[ch] != 0 {
				beta[ch] = rz2[ch] / rz[ch]
			}
			rz[ch] = rz2[ch]
		}
		for _, c := range g.cells {
			for ch := range nc {
				i := nc*int(c) + ch
				p[i] = g.x[i] + beta[ch]*p[i]
			}
		}
	}
	copy(g.b, b)
}
