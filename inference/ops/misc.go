package ops

import (
	"fmt"
	"math"

	"camscope/inference/tensor"
)

// Less common operators: rearrangements between depth and space, Mod,
// CumSum, Shrink, Lp norms and OneHot.

func init() {
	register("DepthToSpace", buildDepthToSpace, differentiable)
	register("SpaceToDepth", buildSpaceToDepth, differentiable)
	register("Mod", buildMod, noGradient)
	register("CumSum", buildCumSum, noGradient)
	register("Shrink", buildShrink, noGradient)
	register("LpNormalization", buildLpNormalization, noGradient)
	register("GlobalLpPool", buildGlobalLpPool, noGradient)
	register("OneHot", buildOneHot, noGradient)
}

func blockSize(op string, n *Node) (int, error) {
	b, err := n.Attrs.Int("blocksize", 0)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	if b <= 0 {
		return 0, fmt.Errorf("%s: blocksize must be positive, got %d", op, b)
	}
	return int(b), nil
}

// rearrange views x as shape6, permutes it by perm and returns it with
// shape out.
func rearrange(x *tensor.Tensor, shape6, perm, out []int) *tensor.Tensor {
	res := newTensor(x.DType, out)
	if x.DType == tensor.Int64 {
		permute(res.I, x.I, shape6, perm)
	} else {
		permute(res.F, x.F, shape6, perm)
	}
	return res
}

// buildDepthToSpace moves blocks of channels into b x b spatial blocks:
// mode DCR (default) takes the block index from the outer part of the
// channel, CRD from the inner part.
func buildDepthToSpace(n *Node) (Op, error) {
	b, err := blockSize("DepthToSpace", n)
	if err != nil {
		return nil, err
	}
	mode, err := n.Attrs.String("mode", "DCR")
	if err != nil {
		return nil, fmt.Errorf("DepthToSpace: %w", err)
	}
	if mode != "DCR" && mode != "CRD" {
		return nil, fmt.Errorf("DepthToSpace: unknown mode %q", mode)
	}
	return traced(opFunc(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("DepthToSpace", inputs, 1); err != nil {
			return nil, err
		}
		x := inputs[0]
		if x.Rank() != 4 || x.Shape[1]%(b*b) != 0 {
			return nil, fmt.Errorf("DepthToSpace: input %s must be N x C x H x W with C a multiple of %d", tensor.ShapeString(x.Shape), b*b)
		}
		nb, c, h, w := x.Shape[0], x.Shape[1]/(b*b), x.Shape[2], x.Shape[3]
		out := []int{nb, c, h * b, w * b}
		if mode == "DCR" {
			return one(rearrange(x, []int{nb, b, b, c, h, w}, []int{0, 3, 4, 1, 5, 2}, out)), nil
		}
		return one(rearrange(x, []int{nb, c, b, b, h, w}, []int{0, 1, 4, 2, 5, 3}, out)), nil
	})), nil
}

func buildSpaceToDepth(n *Node) (Op, error) {
	b, err := blockSize("SpaceToDepth", n)
	if err != nil {
		return nil, err
	}
	return traced(opFunc(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("SpaceToDepth", inputs, 1); err != nil {
			return nil, err
		}
		x := inputs[0]
		if x.Rank() != 4 || x.Shape[2]%b != 0 || x.Shape[3]%b != 0 {
			return nil, fmt.Errorf("SpaceToDepth: input %s must be N x C x H x W with H and W multiples of %d", tensor.ShapeString(x.Shape), b)
		}
		nb, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2]/b, x.Shape[3]/b
		return one(rearrange(x, []int{nb, c, h, b, w, b}, []int{0, 3, 5, 1, 2, 4}, []int{nb, c * b * b, h, w})), nil
	})), nil
}

// buildMod: with fmod=0 the result takes the divisor's sign (Python's %),
// with fmod=1 the dividend's (C's fmod).
func buildMod(n *Node) (Op, error) {
	fm, err := n.Attrs.Int("fmod", 0)
	if err != nil {
		return nil, fmt.Errorf("Mod: %w", err)
	}
	fk := rowsOf(func(a, b float32) float32 {
		r := float32(math.Mod(float64(a), float64(b)))
		if fm == 0 && r != 0 && (r < 0) != (b < 0) {
			r += b
		}
		return r
	})
	ik := rowsOf(func(a, b int64) int64 {
		r := a % b
		if fm == 0 && r != 0 && (r < 0) != (b < 0) {
			r += b
		}
		return r
	})
	check := func(b *tensor.Tensor) error {
		if err := checkIntDivisor(b); err != nil {
			return fmt.Errorf("Mod: integer modulo by zero")
		}
		return nil
	}
	return binaryBuilder("Mod", fk, ik, check, nil)(n)
}

// buildCumSum sums along the axis given as input 1, optionally excluding
// each element itself and from the end.
func buildCumSum(n *Node) (Op, error) {
	excl, err := n.Attrs.Int("exclusive", 0)
	if err != nil {
		return nil, fmt.Errorf("CumSum: %w", err)
	}
	rev, err := n.Attrs.Int("reverse", 0)
	if err != nil {
		return nil, fmt.Errorf("CumSum: %w", err)
	}
	return opFunc(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("CumSum", inputs, 2); err != nil {
			return nil, err
		}
		x, at := inputs[0], inputs[1]
		if at.DType != tensor.Int64 || at.Len() != 1 {
			return nil, fmt.Errorf("CumSum: axis must be one integer")
		}
		if x.Rank() == 0 {
			return nil, fmt.Errorf("CumSum: input must not be a scalar")
		}
		a, err := normAxis("CumSum", at.I[0], x.Rank())
		if err != nil {
			return nil, err
		}
		outer, dim, inner := axisView(x.Shape, a)
		out := newTensor(x.DType, x.Shape)
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				var sf float32
				var si int64
				for j := range dim {
					k := j
					if rev != 0 {
						k = dim - 1 - j
					}
					at := (o*dim+k)*inner + i
					if x.DType == tensor.Int64 {
						if excl != 0 {
							out.I[at], si = si, si+x.I[at]
						} else {
							si += x.I[at]
							out.I[at] = si
						}
						continue
					}
					if excl != 0 {
						out.F[at], sf = sf, sf+x.F[at]
					} else {
						sf += x.F[at]
						out.F[at] = sf
					}
				}
			}
		}
		return one(out), nil
	}), nil
}

func buildShrink(n *Node) (Op, error) {
	bias, err := n.Attrs.Float("bias", 0)
	if err != nil {
		return nil, fmt.Errorf("Shrink: %w", err)
	}
	lambd, err := n.Attrs.Float("lambd", 0.5)
	if err != nil {
		return nil, fmt.Errorf("Shrink: %w", err)
	}
	f := func(x float64) float64 {
		switch {
		case x < -float64(lambd):
			return x + float64(bias)
		case x > float64(lambd):
			return x - float64(bias)
		}
		return 0
	}
	return opFunc(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("Shrink", inputs, 1); err != nil {
			return nil, err
		}
		x := inputs[0]
		out := newTensor(x.DType, x.Shape)
		if x.DType == tensor.Int64 {
			for i, v := range x.I {
				out.I[i] = int64(f(float64(v)))
			}
		} else {
			for i, v := range x.F {
				out.F[i] = float32(f(float64(v)))
			}
		}
		return one(out), nil
	}), nil
}

// lpNorm returns the p-norm (p 1 or 2) of the values at base, base+step, ...
func lpNorm(v []float32, base, count, step int, p int64) float64 {
	var s float64
	for k := 0; k < count; k++ {
		x := float64(v[base+k*step])
		if p == 1 {
			s += math.Abs(x)
		} else {
			s += x * x
		}
	}
	if p == 1 {
		return s
	}
	return math.Sqrt(s)
}

func lpOrder(op string, n *Node) (int64, error) {
	p, err := n.Attrs.Int("p", 2)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	if p != 1 && p != 2 {
		return 0, fmt.Errorf("%s: p must be 1 or 2, got %d", op, p)
	}
	return p, nil
}

// buildLpNormalization divides by the p-norm along axis (a zero norm
// leaves zeros).
func buildLpNormalization(n *Node) (Op, error) {
	axis, err := n.Attrs.Int("axis", -1)
	if err != nil {
		return nil, fmt.Errorf("LpNormalization: %w", err)
	}
	p, err := lpOrder("LpNormalization", n)
	if err != nil {
		return nil, err
	}
	return opFunc(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("LpNormalization", inputs, 1); err != nil {
			return nil, err
		}
		x := inputs[0]
		if err := requireFloat("LpNormalization", x); err != nil {
			return nil, err
		}
		if x.Rank() == 0 {
			return nil, fmt.Errorf("LpNormalization: input must not be a scalar")
		}
		a, err := normAxis("LpNormalization", axis, x.Rank())
		if err != nil {
			return nil, err
		}
		outer, dim, inner := axisView(x.Shape, a)
		out := tensor.New(x.Shape...)
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				base := o*dim*inner + i
				norm := lpNorm(x.F, base, dim, inner, p)
				if norm == 0 {
					continue
				}
				for k := 0; k < dim; k++ {
					out.F[base+k*inner] = float32(float64(x.F[base+k*inner]) / norm)
				}
			}
		}
		return one(out), nil
	}), nil
}

func buildGlobalLpPool(n *Node) (Op, error) {
	p, err := lpOrder("GlobalLpPool", n)
	if err != nil {
		return nil, err
	}
	return opFunc(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("GlobalLpPool", inputs, 1); err != nil {
			return nil, err
		}
		x := inputs[0]
		if err := requireFloat("GlobalLpPool", x); err != nil {
			return nil, err
		}
		nb, ch, sp, err := spatial("GlobalLpPool", x.Shape)
		if err != nil {
			return nil, err
		}
		shape := []int{nb, ch}
		for range sp {
			shape = append(shape, 1)
		}
		out := tensor.New(shape...)
		size := tensor.Size(sp)
		for i := range out.F {
			out.F[i] = float32(lpNorm(x.F, i*size, size, 1, p))
		}
		return one(out), nil
	}), nil
}

// buildOneHot: out has depth inserted at axis; values is [off, on];
// negative indices count from depth.
func buildOneHot(n *Node) (Op, error) {
	axis, err := n.Attrs.Int("axis", -1)
	if err != nil {
		return nil, fmt.Errorf("OneHot: %w", err)
	}
	return opFunc(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("OneHot", inputs, 3); err != nil {
			return nil, err
		}
		idx, dt, vals := inputs[0], inputs[1], inputs[2]
		if dt.Len() != 1 {
			return nil, fmt.Errorf("OneHot: depth must hold one value")
		}
		depth := int(dt.Float64s()[0])
		if depth <= 0 {
			return nil, fmt.Errorf("OneHot: depth %d must be positive", depth)
		}
		if vals.Len() != 2 {
			return nil, fmt.Errorf("OneHot: values must hold [off, on], got %s", tensor.ShapeString(vals.Shape))
		}
		a, err := normAxis("OneHot", axis, idx.Rank()+1)
		if err != nil {
			return nil, err
		}
		shape := append(append(append([]int{}, idx.Shape[:a]...), depth), idx.Shape[a:]...)
		if err := checkSize("OneHot", shape); err != nil {
			return nil, err
		}
		outer, inner := tensor.Size(idx.Shape[:a]), tensor.Size(idx.Shape[a:])
		out := newTensor(vals.DType, shape)
		iv := idx.Float64s()
		for o := 0; o < outer; o++ {
			for d := 0; d < depth; d++ {
				for i := 0; i < inner; i++ {
					k := int(iv[o*inner+i])
					if k < 0 {
						k += depth
					}
					at, on := (o*depth+d)*inner+i, 0
					if k == d {
						on = 1
					}
					if vals.DType == tensor.Int64 {
						out.I[at] = vals.I[on]
					} else {
						out.F[at] = vals.F[on]
					}
				}
			}
		}
		return one(out), nil
	}), nil
}
