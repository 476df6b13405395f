package ops

import (
	"fmt"
	"math"

	"camscope/inference/tensor"
)

func init() { register("Cast", buildCast) }

// ONNX TensorProto data types that Cast can produce here.
const (
	onnxFloat    = 1
	onnxUint8    = 2
	onnxInt8     = 3
	onnxUint16   = 4
	onnxInt16    = 5
	onnxInt32    = 6
	onnxInt64    = 7
	onnxBool     = 9
	onnxFloat16  = 10
	onnxDouble   = 11
	onnxUint32   = 12
	onnxUint64   = 13
	onnxBfloat16 = 16
)

// buildCast: floating types become Float32 and integer and bool types
// Int64, the engine's two types. Values are converted as the target type
// would hold them (truncated toward zero, wrapped to its width; bool is
// x != 0), then widened back.
func buildCast(n *Node) (Op, error) {
	to, err := n.Attrs.Int("to", -1)
	if err != nil {
		return nil, fmt.Errorf("Cast: %w", err)
	}
	// wrap narrows an integer to the target's width; nil for float targets.
	var wrap func(int64) int64
	switch to {
	case onnxFloat, onnxDouble, onnxFloat16, onnxBfloat16:
	case onnxBool:
		wrap = func(v int64) int64 { return b2i64(v != 0) }
	case onnxUint8:
		wrap = func(v int64) int64 { return int64(uint8(v)) }
	case onnxInt8:
		wrap = func(v int64) int64 { return int64(int8(v)) }
	case onnxUint16:
		wrap = func(v int64) int64 { return int64(uint16(v)) }
	case onnxInt16:
		wrap = func(v int64) int64 { return int64(int16(v)) }
	case onnxInt32:
		wrap = func(v int64) int64 { return int64(int32(v)) }
	case onnxUint32:
		wrap = func(v int64) int64 { return int64(uint32(v)) }
	case onnxInt64, onnxUint64:
		wrap = func(v int64) int64 { return v }
	case -1:
		return nil, fmt.Errorf("Cast: attribute to is missing")
	default:
		return nil, fmt.Errorf("Cast: cannot cast to ONNX type %d (strings and complex numbers are not supported)", to)
	}
	return opFunc(func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("Cast", inputs, 1); err != nil {
			return nil, err
		}
		x := inputs[0]
		if wrap == nil {
			if x.DType == tensor.Float32 {
				return one(alias(x, x.Shape)), nil
			}
			out := tensor.New(x.Shape...)
			for i, v := range x.I {
				out.F[i] = float32(v)
			}
			return one(out), nil
		}
		out := tensor.NewInt64(x.Shape...)
		if x.DType == tensor.Int64 {
			for i, v := range x.I {
				out.I[i] = wrap(v)
			}
			return one(out), nil
		}
		for i, v := range x.F {
			switch {
			case to == onnxBool:
				out.I[i] = b2i64(v != 0)
			case math.IsNaN(float64(v)) || math.IsInf(float64(v), 0):
				// No integer holds these; take what x86 conversion gives.
				out.I[i] = wrap(math.MinInt64)
			default:
				out.I[i] = wrap(int64(v))
			}
		}
		return one(out), nil
	}), nil
}

func b2i64(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
