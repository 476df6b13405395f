package ops_test

import (
	"fmt"

	"camscope/inference/ops"
	"camscope/inference/tensor"
)

// A 3x3 box filter over a 4x4 ramp, padded by one on every side, with its
// weights known when the operator is built (as initializers are).
func ExampleBuild() {
	w := tensor.FromFloat32([]int{1, 1, 3, 3}, []float32{1, 1, 1, 1, 1, 1, 1, 1, 1})
	conv, err := ops.Build(&ops.Node{
		OpType:     "Conv",
		Opset:      13,
		Attrs:      ops.Attrs{"pads": []int64{1, 1, 1, 1}},
		Consts:     []*tensor.Tensor{nil, w},
		NumOutputs: 1,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	x := tensor.New(1, 1, 4, 4)
	for i := range x.F {
		x.F[i] = float32(i)
	}
	out, err := conv.Run(ops.NoBudget, []*tensor.Tensor{x, w})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out[0], out[0].F)
	// Output: float32[1x1x4x4] [10 18 24 18 27 45 54 39 51 81 90 63 42 66 72 50]
}
