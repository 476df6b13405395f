package ops

import (
	"fmt"
	"math"

	"camscope/inference/tensor"
)

func init() {
	register("Constant", buildConstant, noGradient)
	register("ConstantOfShape", buildConstantOfShape, noGradient)
	register("Range", buildRange, noGradient)
}

// buildConstant returns the node's value, from whichever one of value,
// value_float, value_floats, value_int or value_ints is set. The tensor is
// built once and returned on every run; consumers never modify it.
func buildConstant(n *Node) (Op, error) {
	var val *tensor.Tensor
	set := 0
	for name, v := range n.Attrs {
		switch name {
		case "value":
			t, ok := v.(*tensor.Tensor)
			if !ok {
				return nil, fmt.Errorf("Constant: attribute value: want a tensor, got %T", v)
			}
			val = t
		case "value_float":
			f, ok := v.(float32)
			if !ok {
				return nil, fmt.Errorf("Constant: attribute value_float: want a float, got %T", v)
			}
			val = tensor.FromFloat32([]int{}, []float32{f})
		case "value_floats":
			f, ok := v.([]float32)
			if !ok {
				return nil, fmt.Errorf("Constant: attribute value_floats: want floats, got %T", v)
			}
			val = tensor.FromFloat32([]int{len(f)}, append([]float32{}, f...))
		case "value_int":
			i, ok := v.(int64)
			if !ok {
				return nil, fmt.Errorf("Constant: attribute value_int: want an integer, got %T", v)
			}
			val = tensor.FromInt64([]int{}, []int64{i})
		case "value_ints":
			i, ok := v.([]int64)
			if !ok {
				return nil, fmt.Errorf("Constant: attribute value_ints: want integers, got %T", v)
			}
			val = tensor.FromInt64([]int{len(i)}, append([]int64{}, i...))
		case "value_string", "value_strings":
			return nil, fmt.Errorf("Constant: string values are not supported")
		case "sparse_value":
			return nil, fmt.Errorf("Constant: sparse values are not supported")
		default:
			continue
		}
		set++
	}
	if set != 1 {
		return nil, fmt.Errorf("Constant: want exactly one value attribute, got %d", set)
	}
	return opFunc(func(Budget, []*tensor.Tensor) ([]*tensor.Tensor, error) { return one(val), nil }), nil
}

func buildConstantOfShape(n *Node) (Op, error) {
	v, err := n.Attrs.Tensor("value")
	if err != nil {
		return nil, fmt.Errorf("ConstantOfShape: %w", err)
	}
	if v == nil {
		v = tensor.FromFloat32([]int{1}, []float32{0})
	}
	if v.Len() != 1 {
		return nil, fmt.Errorf("ConstantOfShape: value must hold one element, got %s", tensor.ShapeString(v.Shape))
	}
	return opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("ConstantOfShape", inputs, 1); err != nil {
			return nil, err
		}
		shape, err := shapeInput("ConstantOfShape", inputs[0])
		if err != nil {
			return nil, err
		}
		if err := budget.checkSize("ConstantOfShape", v.DType, shape); err != nil {
			return nil, err
		}
		out := newTensor(v.DType, shape)
		if v.DType == tensor.Int64 {
			for i := range out.I {
				out.I[i] = v.I[0]
			}
		} else {
			for i := range out.F {
				out.F[i] = v.F[0]
			}
		}
		return one(out), nil
	}), nil
}

func buildRange(n *Node) (Op, error) {
	return opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("Range", inputs, 3); err != nil {
			return nil, err
		}
		start, limit, delta := inputs[0], inputs[1], inputs[2]
		for _, t := range inputs[:3] {
			if t.Len() != 1 || t.DType != start.DType {
				return nil, fmt.Errorf("Range: start, limit and delta must be scalars of one type, got %s, %s, %s", start, limit, delta)
			}
		}
		if start.DType == tensor.Int64 {
			s, l, d := start.I[0], limit.I[0], delta.I[0]
			if d == 0 {
				return nil, fmt.Errorf("Range: delta is 0")
			}
			cnt := max(0, (l-s+d-sign64(d))/d)
			if cnt > maxElements {
				return nil, fmt.Errorf("Range: output of %d elements is too large (the limit is %d)", cnt, maxElements)
			}
			if err := budget.checkSize("Range", tensor.Int64, []int{int(cnt)}); err != nil {
				return nil, err
			}
			out := tensor.NewInt64(int(cnt))
			for i := range out.I {
				out.I[i] = s + int64(i)*d
			}
			return one(out), nil
		}
		s, l, d := float64(start.F[0]), float64(limit.F[0]), float64(delta.F[0])
		if d == 0 {
			return nil, fmt.Errorf("Range: delta is 0")
		}
		cnt := max(0, math.Ceil((l-s)/d))
		if !(cnt <= maxElements) {
			return nil, fmt.Errorf("Range: output of %v elements is too large (the limit is %d)", cnt, maxElements)
		}
		if err := budget.checkSize("Range", tensor.Float32, []int{int(cnt)}); err != nil {
			return nil, err
		}
		out := tensor.New(int(cnt))
		// Accumulate as the spec's loop does: start, start+delta, ...
		v := start.F[0]
		for i := range out.F {
			out.F[i] = v
			v += delta.F[0]
		}
		return one(out), nil
	}), nil
}

func sign64(v int64) int64 {
	if v < 0 {
		return -1
	}
	return 1
}
