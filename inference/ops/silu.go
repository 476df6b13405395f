package ops

import "camscope/inference/kernels"

// SiLU is the engine's own operator for x*sigmoid(x) (also called Swish),
// which EfficientNet-style networks write as Sigmoid followed by Mul with
// the same input. The loader replaces that pair by one SiLU node: one pass
// over the activations and one output instead of two. The name has a dot so
// that it can never collide with an ONNX operator.
const SiLU = "camscope.SiLU"

func init() {
	register(SiLU, sliceBuilder("SiLU", kernels.SiLU))
}
