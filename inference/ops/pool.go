package ops

import (
	"fmt"
	"math"

	"camscope/inference/tensor"
)

func init() {
	register("MaxPool", func(n *Node) (Op, error) { return buildPool(n, true) })
	register("AveragePool", func(n *Node) (Op, error) { return buildPool(n, false) })
	register("GlobalAveragePool", func(n *Node) (Op, error) { return globalPool{"GlobalAveragePool", false}, nil })
	register("GlobalMaxPool", func(n *Node) (Op, error) { return globalPool{"GlobalMaxPool", true}, nil })
}

type pool struct {
	win        window
	isMax      bool
	includePad bool // AveragePool count_include_pad
	colMajor   bool // MaxPool storage_order 1, for Indices
	indices    bool // MaxPool's second output is wanted
}

func buildPool(n *Node, isMax bool) (Op, error) {
	name := "AveragePool"
	if isMax {
		name = "MaxPool"
	}
	win, err := readWindow(name, n.Attrs)
	if err != nil {
		return nil, err
	}
	if len(win.kernel) == 0 {
		return nil, fmt.Errorf("%s: kernel_shape is required", name)
	}
	p := &pool{win: win, isMax: isMax, indices: isMax && n.NumOutputs > 1}
	cip, err := n.Attrs.Int("count_include_pad", 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	so, err := n.Attrs.Int("storage_order", 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p.includePad, p.colMajor = cip != 0, so != 0
	return p, nil
}

func (p *pool) Run(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	op := p.win.op
	if err := required(op, inputs, 1); err != nil {
		return nil, err
	}
	x := inputs[0]
	if !p.isMax || x.DType != tensor.Int64 {
		if err := requireFloat(op, x); err != nil {
			return nil, err
		}
	}
	nb, ch, sp, err := spatial(op, x.Shape)
	if err != nil {
		return nil, err
	}
	g, err := p.win.resolve(sp, p.win.kernel)
	if err != nil {
		return nil, err
	}
	outShape := append([]int{nb, ch}, g.out...)
	out := newTensor(x.DType, outShape)
	planes := nb * ch
	inPlane, outPlane := tensor.Size(sp), tensor.Size(g.out)
	var idx *tensor.Tensor
	if p.indices {
		idx = tensor.NewInt64(outShape...)
	}
	if outPlane == 0 {
		return p.outputs(out, idx), nil
	}
	if inPlane == 0 {
		return nil, fmt.Errorf("%s: empty input %s", op, tensor.ShapeString(x.Shape))
	}
	fast := len(sp) <= 2 && !p.indices && x.DType == tensor.Float32
	cost := outPlane * tensor.Size(g.k)
	parallelFor(planes, cost, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			switch {
			case fast:
				g2 := as2D(g)
				src, dst := x.F[pl*inPlane:(pl+1)*inPlane], out.F[pl*outPlane:(pl+1)*outPlane]
				if p.isMax {
					maxPool2D(dst, src, g2)
				} else {
					avgPool2D(dst, src, g2, p.includePad)
				}
			case x.DType == tensor.Int64:
				var ix []int64
				if idx != nil {
					ix = idx.I[pl*outPlane : (pl+1)*outPlane]
				}
				poolND(out.I[pl*outPlane:(pl+1)*outPlane], ix, x.I[pl*inPlane:(pl+1)*inPlane], g, true, false, p.colMajor, pl*inPlane)
			default:
				var ix []int64
				if idx != nil {
					ix = idx.I[pl*outPlane : (pl+1)*outPlane]
				}
				poolND(out.F[pl*outPlane:(pl+1)*outPlane], ix, x.F[pl*inPlane:(pl+1)*inPlane], g, p.isMax, p.includePad, p.colMajor, pl*inPlane)
			}
		}
	})
	return p.outputs(out, idx), nil
}

func (p *pool) outputs(out, idx *tensor.Tensor) []*tensor.Tensor {
	if idx != nil {
		return []*tensor.Tensor{out, idx}
	}
	return one(out)
}

// as2D views a 1-D geometry as 2-D with height 1.
func as2D(g geometry) geometry {
	if len(g.in) == 2 {
		return g
	}
	pre := func(v []int, x int) []int { return []int{x, v[0]} }
	return geometry{
		in: pre(g.in, 1), k: pre(g.k, 1), stride: pre(g.stride, 1), dil: pre(g.dil, 1),
		padB: pre(g.padB, 0), padE: pre(g.padE, 0), out: pre(g.out, 1),
	}
}

// validRange returns the window taps [lo, hi) of output position o that
// fall inside an input of size n.
func validRange(o, stride, pad, dil, k, n int) (lo, hi int) {
	start := o*stride - pad
	lo = 0
	if start < 0 {
		lo = (-start + dil - 1) / dil
	}
	hi = k
	if last := n - start; last < dil*(k-1)+1 {
		// taps t with start+t*dil < n
		hi = (last + dil - 1) / dil
	}
	return lo, max(hi, lo)
}

func maxPool2D(dst, src []float32, g geometry) {
	h, w := g.in[0], g.in[1]
	ow := g.out[1]
	for oy := 0; oy < g.out[0]; oy++ {
		ky0, ky1 := validRange(oy, g.stride[0], g.padB[0], g.dil[0], g.k[0], h)
		y0 := oy*g.stride[0] - g.padB[0]
		row := dst[oy*ow : (oy+1)*ow]
		for ox := range row {
			kx0, kx1 := validRange(ox, g.stride[1], g.padB[1], g.dil[1], g.k[1], w)
			x0 := ox*g.stride[1] - g.padB[1]
			m := float32(math.Inf(-1))
			for ky := ky0; ky < ky1; ky++ {
				r := src[(y0+ky*g.dil[0])*w:]
				for kx := kx0; kx < kx1; kx++ {
					if v := r[x0+kx*g.dil[1]]; v > m {
						m = v
					}
				}
			}
			row[ox] = m
		}
	}
}

func avgPool2D(dst, src []float32, g geometry, includePad bool) {
	h, w := g.in[0], g.in[1]
	ow := g.out[1]
	for oy := 0; oy < g.out[0]; oy++ {
		ky0, ky1 := validRange(oy, g.stride[0], g.padB[0], g.dil[0], g.k[0], h)
		py0, py1 := validRange(oy, g.stride[0], 0, g.dil[0], g.k[0], h+g.padB[0]+g.padE[0])
		y0 := oy*g.stride[0] - g.padB[0]
		row := dst[oy*ow : (oy+1)*ow]
		for ox := range row {
			kx0, kx1 := validRange(ox, g.stride[1], g.padB[1], g.dil[1], g.k[1], w)
			x0 := ox*g.stride[1] - g.padB[1]
			var s float32
			for ky := ky0; ky < ky1; ky++ {
				r := src[(y0+ky*g.dil[0])*w:]
				for kx := kx0; kx < kx1; kx++ {
					s += r[x0+kx*g.dil[1]]
				}
			}
			cnt := (ky1 - ky0) * (kx1 - kx0)
			if includePad {
				px0, px1 := validRange(ox, g.stride[1], 0, g.dil[1], g.k[1], w+g.padB[1]+g.padE[1])
				cnt = (py1 - py0) * (px1 - px0)
			}
			if cnt > 0 {
				row[ox] = s / float32(cnt)
			} else {
				row[ox] = 0
			}
		}
	}
}

// poolND pools one plane of any spatial rank; it also records the argmax
// (as an index into the whole input, offset by base) when idx is not nil.
func poolND[T number](dst []T, idx []int64, src []T, g geometry, isMax, includePad, colMajor bool, base int) {
	r := len(g.in)
	strides := tensor.Strides(g.in)
	colStrides := make([]int, r)
	acc := 1
	for i := 0; i < r; i++ {
		colStrides[i] = acc
		acc *= g.in[i]
	}
	o := make([]int, r)
	lo, hi, tap := make([]int, r), make([]int, r), make([]int, r)
	for oi := range dst {
		cntPad := 1
		empty := false
		for d := 0; d < r; d++ {
			lo[d], hi[d] = validRange(o[d], g.stride[d], g.padB[d], g.dil[d], g.k[d], g.in[d])
			if lo[d] >= hi[d] {
				empty = true
			}
			a, b := validRange(o[d], g.stride[d], 0, g.dil[d], g.k[d], g.in[d]+g.padB[d]+g.padE[d])
			cntPad *= b - a
		}
		var best T
		var sum float64
		bestAt, cnt := -1, 0
		if !empty {
			copy(tap, lo)
			for {
				off, colOff := 0, 0
				for d := 0; d < r; d++ {
					pos := o[d]*g.stride[d] - g.padB[d] + tap[d]*g.dil[d]
					off += pos * strides[d]
					colOff += pos * colStrides[d]
				}
				v := src[off]
				if bestAt < 0 || v > best {
					best = v
					bestAt = off
					if colMajor {
						bestAt = colOff
					}
				}
				sum += float64(v)
				cnt++
				d := r - 1
				for ; d >= 0; d-- {
					tap[d]++
					if tap[d] < hi[d] {
						break
					}
					tap[d] = lo[d]
				}
				if d < 0 {
					break
				}
			}
		}
		switch {
		case isMax:
			dst[oi] = best
			if empty {
				dst[oi] = T(negInf[T]())
			}
			if idx != nil {
				idx[oi] = int64(base + max(bestAt, 0))
			}
		default:
			if includePad {
				cnt = cntPad
			}
			if cnt > 0 {
				dst[oi] = T(sum / float64(cnt))
			}
		}
		for d := r - 1; d >= 0; d-- {
			o[d]++
			if o[d] < g.out[d] {
				break
			}
			o[d] = 0
		}
	}
}

func negInf[T number]() float64 {
	var z T
	switch any(z).(type) {
	case int64:
		return math.MinInt64
	}
	return math.Inf(-1)
}

// globalPool averages or takes the maximum over all spatial dimensions.
type globalPool struct {
	op    string
	isMax bool
}

func (p globalPool) Run(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := required(p.op, inputs, 1); err != nil {
		return nil, err
	}
	x := inputs[0]
	if err := requireFloat(p.op, x); err != nil {
		return nil, err
	}
	nb, ch, sp, err := spatial(p.op, x.Shape)
	if err != nil {
		return nil, err
	}
	shape := []int{nb, ch}
	for range sp {
		shape = append(shape, 1)
	}
	out := tensor.New(shape...)
	size := tensor.Size(sp)
	if size == 0 {
		return nil, fmt.Errorf("%s: empty input %s", p.op, tensor.ShapeString(x.Shape))
	}
	for i := range out.F {
		plane := x.F[i*size : (i+1)*size]
		if p.isMax {
			m := plane[0]
			for _, v := range plane[1:] {
				if v > m {
					m = v
				}
			}
			out.F[i] = m
			continue
		}
		out.F[i] = sumF(plane) / float32(size)
	}
	return one(out), nil
}

// sumF sums with four accumulators, which is faster than one dependent
// chain and a little more accurate.
func sumF(v []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(v); i += 4 {
		s0 += v[i]
		s1 += v[i+1]
		s2 += v[i+2]
		s3 += v[i+3]
	}
	for ; i < len(v); i++ {
		s0 += v[i]
	}
	return (s0 + s1) + (s2 + s3)
}
