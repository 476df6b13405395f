package ops

import (
	"fmt"
	"sort"

	"camscope/inference/tensor"
)

// Operators that pick elements by value along an axis: ArgMax and ArgMin,
// TopK (some classifiers end in it) and Hardmax.

func init() {
	register("ArgMax", func(n *Node) (Op, error) {
		return buildArg(n, "ArgMax", func(v, best float64) bool { return v > best })
	}, noGradient)
	register("ArgMin", func(n *Node) (Op, error) {
		return buildArg(n, "ArgMin", func(v, best float64) bool { return v < best })
	}, noGradient)
	register("TopK", buildTopK, noGradient)
	register("Hardmax", buildHardmax, noGradient)
}

// axisView splits a shape around axis into outer x dim x inner.
func axisView(shape []int, axis int) (outer, dim, inner int) {
	return tensor.Size(shape[:axis]), shape[axis], tensor.Size(shape[axis+1:])
}

func buildArg(n *Node, name string, better func(v, best float64) bool) (Op, error) {
	axis, err := n.Attrs.Int("axis", 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	keep, err := n.Attrs.Int("keepdims", 1)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	last, err := n.Attrs.Int("select_last_index", 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required(name, inputs, 1); err != nil {
			return nil, err
		}
		x := inputs[0]
		if x.Rank() == 0 {
			return nil, fmt.Errorf("%s: input must not be a scalar", name)
		}
		a, err := normAxis(name, axis, x.Rank())
		if err != nil {
			return nil, err
		}
		outer, dim, inner := axisView(x.Shape, a)
		if dim == 0 {
			return nil, fmt.Errorf("%s: axis %d of %s is empty", name, a, tensor.ShapeString(x.Shape))
		}
		shape := append([]int{}, x.Shape...)
		if keep != 0 {
			shape[a] = 1
		} else {
			shape = append(shape[:a], shape[a+1:]...)
		}
		vals := x.Float64s()
		out := tensor.NewInt64(shape...)
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				base := o*dim*inner + i
				best, at := vals[base], 0
				for k := 1; k < dim; k++ {
					v := vals[base+k*inner]
					if better(v, best) || last != 0 && v == best {
						best, at = v, k
					}
				}
				out.I[o*inner+i] = int64(at)
			}
		}
		return one(out), nil
	}), nil
}

// buildTopK: the k largest (or smallest) values along axis and their
// indices; ties go to the lower index.
func buildTopK(n *Node) (Op, error) {
	axis, err := n.Attrs.Int("axis", -1)
	if err != nil {
		return nil, fmt.Errorf("TopK: %w", err)
	}
	largest, err := n.Attrs.Int("largest", 1)
	if err != nil {
		return nil, fmt.Errorf("TopK: %w", err)
	}
	attrK, err := n.Attrs.Int("k", -1)
	if err != nil {
		return nil, fmt.Errorf("TopK: %w", err)
	}
	return opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("TopK", inputs, 1); err != nil {
			return nil, err
		}
		x := inputs[0]
		k := attrK
		if n.Opset >= 10 {
			kt := in(inputs, 1)
			if kt == nil || kt.DType != tensor.Int64 || kt.Len() != 1 {
				return nil, fmt.Errorf("TopK: K must be one integer")
			}
			k = kt.I[0]
		}
		if x.Rank() == 0 {
			return nil, fmt.Errorf("TopK: input must not be a scalar")
		}
		a, err := normAxis("TopK", axis, x.Rank())
		if err != nil {
			return nil, err
		}
		outer, dim, inner := axisView(x.Shape, a)
		if k < 0 || k > int64(dim) {
			return nil, fmt.Errorf("TopK: k=%d is out of range for axis %d of %s", k, a, tensor.ShapeString(x.Shape))
		}
		shape := append([]int{}, x.Shape...)
		shape[a] = int(k)
		vals := x.Float64s()
		values, indices := newTensor(x.DType, shape), tensor.NewInt64(shape...)
		order := make([]int, dim)
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				base := o*dim*inner + i
				for j := range order {
					order[j] = j
				}
				at := func(j int) float64 { return vals[base+order[j]*inner] }
				sort.SliceStable(order, func(p, q int) bool {
					if largest != 0 {
						return at(p) > at(q)
					}
					return at(p) < at(q)
				})
				for j := 0; j < int(k); j++ {
					dst, src := o*int(k)*inner+j*inner+i, base+order[j]*inner
					indices.I[dst] = int64(order[j])
					if x.DType == tensor.Int64 {
						values.I[dst] = x.I[src]
					} else {
						values.F[dst] = x.F[src]
					}
				}
			}
		}
		return []*tensor.Tensor{values, indices}, nil
	}), nil
}

// buildHardmax: 1 at the first maximum along axis, 0 elsewhere (opset 13;
// before, the input is coerced to 2-D at axis as for Softmax).
func buildHardmax(n *Node) (Op, error) {
	def := int64(-1)
	if n.Opset < 13 {
		def = 1
	}
	axis, err := n.Attrs.Int("axis", def)
	if err != nil {
		return nil, fmt.Errorf("Hardmax: %w", err)
	}
	return opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("Hardmax", inputs, 1); err != nil {
			return nil, err
		}
		x := inputs[0]
		if err := requireFloat("Hardmax", x); err != nil {
			return nil, err
		}
		outer, dim, inner, err := softmaxView("Hardmax", x.Shape, axis, n.Opset < 13)
		if err != nil {
			return nil, err
		}
		out := tensor.New(x.Shape...)
		if dim == 0 {
			return one(out), nil
		}
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				base := o*dim*inner + i
				at := 0
				for k := 1; k < dim; k++ {
					if x.F[base+k*inner] > x.F[base+at*inner] {
						at = k
					}
				}
				out.F[base+at*inner] = 1
			}
		}
		return one(out), nil
	}), nil
}
