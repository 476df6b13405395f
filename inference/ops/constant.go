package ops

import (
	"fmt"

	"camscope/inference/tensor"
)

func init() { register("Constant", buildConstant, noGradient) }

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
	return opFunc(func([]*tensor.Tensor) ([]*tensor.Tensor, error) { return one(val), nil }), nil
}
