package autodiff

import (
	"fmt"

	"camscope/inference/ops"
	"camscope/inference/tensor"
)

// Operators that only copy input elements to output positions (nearest
// resizing, depth/space rearrangements, reflect/edge/wrap padding) share one
// VJP: the engine's own operator, run on a tensor holding each element's
// index, says where every output value came from, and the gradient is added
// back there. The arithmetic is exact while indices fit float32's 24-bit
// mantissa.
func init() {
	register("DepthToSpace", gatherLikeVJP)
	register("SpaceToDepth", gatherLikeVJP)
	register("Resize", resizeVJP)
	register("Upsample", resizeVJP)
}

func resizeVJP(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	mode, err := n.Attrs.String("mode", "nearest")
	if err != nil {
		return nil, err
	}
	if mode != "nearest" {
		return nil, fmt.Errorf("%w for mode %q (only nearest)", ErrNoVJP, mode)
	}
	return gatherLikeVJP(n, g)
}

func gatherLikeVJP(n *Node, g *tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := requireFloat(n, 0); err != nil {
		return nil, err
	}
	if !n.need(0) {
		return nil, nil
	}
	x := n.Inputs[0]
	if x.Len() > 1<<24 {
		return nil, fmt.Errorf("input %s is too large to trace", tensor.ShapeString(x.Shape))
	}
	consts := make([]*tensor.Tensor, len(n.Inputs))
	copy(consts[1:], n.Inputs[1:])
	op, err := ops.Build(&ops.Node{OpType: n.OpType, Opset: n.Opset, Attrs: n.Attrs, Consts: consts, NumOutputs: 1})
	if err != nil {
		return nil, err
	}
	ids := tensor.New(x.Shape...)
	for i := range ids.F {
		ids.F[i] = float32(i)
	}
	in := append([]*tensor.Tensor{ids}, n.Inputs[1:]...)
	outs, err := op.Run(in)
	if err != nil {
		return nil, err
	}
	src := outs[0]
	if !tensor.EqualShape(src.Shape, g.Shape) {
		return nil, fmt.Errorf("tracing gave %s, the output is %s", tensor.ShapeString(src.Shape), tensor.ShapeString(g.Shape))
	}
	gx := tensor.New(x.Shape...)
	for j, v := range src.F {
		i := int(v)
		if float32(i) != v || i < 0 || i >= len(gx.F) {
			return nil, fmt.Errorf("internal error: output %d is not a copy of an input element", j)
		}
		gx.F[i] += g.F[j]
	}
	return []*tensor.Tensor{gx}, nil
}
