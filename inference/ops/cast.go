package ops

import (
	"fmt"
	"math"

	"camscope/inference/tensor"
)

func init() { register("Cast", buildCast, differentiable) }

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
	var round func(float32) float32
	switch to {
	case onnxFloat, onnxDouble:
	case onnxFloat16:
		round = roundFloat16
	case onnxBfloat16:
		round = roundBfloat16
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
	return diffFunc{opFunc(func(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := required("Cast", inputs, 1); err != nil {
			return nil, err
		}
		x := inputs[0]
		if wrap == nil {
			if x.DType == tensor.Float32 && round == nil {
				return one(alias(x, x.Shape)), nil
			}
			out := tensor.New(x.Shape...)
			if x.DType == tensor.Float32 {
				copy(out.F, x.F)
			} else {
				for i, v := range x.I {
					out.F[i] = float32(v)
				}
			}
			if round != nil {
				for i, v := range out.F {
					out.F[i] = round(v)
				}
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
	}), func(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) {
		// A float-to-float cast passes the gradient; casts to or from
		// integers carry none.
		if !p.need(0) || p.Outputs[0].DType != tensor.Float32 {
			return nil, nil
		}
		return []*tensor.Tensor{g.Reshaped(p.Inputs[0].Shape)}, nil
	}}, nil
}

func b2i64(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// roundFloat16 rounds v to the nearest IEEE half-precision value (ties to
// even), which the engine then holds as float32: a cast to float16 loses
// what float16 cannot hold, as it would in ONNX Runtime.
func roundFloat16(v float32) float32 {
	a := math.Abs(float64(v))
	switch {
	case math.IsNaN(a) || math.IsInf(a, 0):
		return v
	case a >= 65520: // halfway between the largest half, 65504, and 65536
		return float32(math.Copysign(math.Inf(1), float64(v)))
	case a < 1.0/(1<<14):
		// Subnormal halves are multiples of 2^-24.
		return float32(math.Copysign(math.RoundToEven(a*(1<<24))/(1<<24), float64(v)))
	}
	// Keep 10 of float32's 23 mantissa bits, rounding to nearest even; a
	// carry into the exponent is the correct result.
	b := math.Float32bits(v)
	b += 0xfff + (b>>13)&1
	return math.Float32frombits(b &^ 0x1fff)
}

// roundBfloat16 rounds v to the nearest bfloat16 (the top 16 bits of a
// float32), ties to even.
func roundBfloat16(v float32) float32 {
	if v != v {
		return v
	}
	b := math.Float32bits(v)
	b += 0x7fff + (b>>16)&1
	return math.Float32frombits(b &^ 0xffff)
}
