package ops

import (
	"fmt"
	"math"

	"camscope/inference/kernels"
	"camscope/inference/tensor"
)

// Attributes, outside ONNX's names, by which the loader can fuse a Relu or
// Clip that consumes the output of a Conv, a float Add or a
// BatchNormalization into that node: FusedActivation is "Relu" or "Clip",
// and for Clip FusedMin and FusedMax are the float bounds (absent:
// unbounded); a Conv also takes SiLU (the engine's camscope.SiLU). The fused
// operator computes act(op(x)) in one pass over its output.
const (
	FusedActivation = "camscope.activation"
	FusedMin        = "camscope.min"
	FusedMax        = "camscope.max"
)

// FusedBias (int, 1 when set) marks a MatMul of a matrix B into which the
// loader fused the Add of a bias: its third input, of B's column count,
// added to every row of the product. A MatMul of a matrix B may also carry
// FusedActivation "Gelu" (with or without a bias): the Gelu the loader
// fused into it, applied as it finishes its output.
const FusedBias = "camscope.bias"

// fusedActivation reads the fused activation of op's node, if any.
func fusedActivation(op string, a Attrs) (kernels.Activation, error) {
	kind, err := a.String(FusedActivation, "")
	if err != nil {
		return kernels.Activation{}, fmt.Errorf("%s: %w", op, err)
	}
	switch kind {
	case "":
		return kernels.Activation{}, nil
	case "Relu":
		return kernels.Activation{Kind: kernels.ActRelu}, nil
	case "Clip":
		lo, err := a.Float(FusedMin, float32(math.Inf(-1)))
		if err != nil {
			return kernels.Activation{}, fmt.Errorf("%s: %w", op, err)
		}
		hi, err := a.Float(FusedMax, float32(math.Inf(1)))
		if err != nil {
			return kernels.Activation{}, fmt.Errorf("%s: %w", op, err)
		}
		return kernels.Activation{Kind: kernels.ActClip, Min: lo, Max: hi}, nil
	case SiLU:
		if op != "Conv" {
			break
		}
		return kernels.Activation{Kind: kernels.ActSiLU}, nil
	}
	return kernels.Activation{}, fmt.Errorf("%s: cannot fuse activation %q", op, kind)
}

// fusing is implemented by the operators the loader can fuse an activation
// into; fused returns it (Kind ActNone when there is none).
type fusing interface {
	fused() kernels.Activation
}

// maskFused applies the derivative of a fused Relu or Clip, read off the
// output y: the gradient g passes where the output lies strictly inside the
// activation's bounds. (A fused SiLU's derivative needs its input, which
// the operator itself recomputes: see conv.VJP.)
func maskFused(act kernels.Activation, g, y *tensor.Tensor) *tensor.Tensor {
	lo, hi := float32(0), float32(math.Inf(1))
	switch act.Kind {
	case kernels.ActRelu:
	case kernels.ActClip:
		lo, hi = act.Min, act.Max
	default:
		return g
	}
	out := tensor.NewUninit(g.Shape...) // MaskWithin writes every value
	kernels.MaskWithin(out.F, g.F, y.F, lo, hi)
	return out
}
