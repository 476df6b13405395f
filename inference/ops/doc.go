// Package ops implements the ONNX operators the engine runs, and the
// gradient (vector-Jacobian product, VJP) of those Grad-CAM goes back
// through.
//
// # Operators
//
// An operator is built once per graph node (Build), from its attributes,
// the opset in force and the inputs that are constant (initializers), so
// that attributes are parsed and checked once and weights can be prepared
// ahead. The built Op's Run maps input tensors to output tensors, within a
// Budget of bytes: what is left of the model's memory limit while the
// loader folds constants and makes its check run. Run never modifies its
// inputs or the operator (any cache it keeps is guarded), so one built
// graph can serve concurrent runs.
//
// A built operator that implements Differentiable also has a VJP: given
// the values one Run read and wrote (a Pass) and the gradient of a scalar
// with respect to its outputs, it returns the gradient with respect to its
// inputs, from the same attributes Run uses. Package inference chains VJPs
// backward through a recorded forward pass through VJPLow (lowrank.go):
// VJP with gradients that may hold a low-rank part (LowRank, a sum of outer
// products, such as an attention's keys' gradient below one query row),
// which MatMul, Transpose, the reshapes and Slice pass on and which is
// added into a dense gradient for any other operator. VJP checks the
// arguments, turns a panic into an error and differentiates a Relu or Clip
// the loader fused into a Conv, Add or BatchNormalization (fused.go). VJPs
// never modify their arguments and may return gradients that share storage
// with them; they are written plainly, for the few layers a backward pass
// runs over, with kernels.Gemm where the work is a matrix product.
//
// # Files
//
// Each operator family has one file holding its attribute parsing, its
// forward pass and its gradient: activation.go, elementwise.go (broadcast
// arithmetic and variadic Sum, Mean, Max, Min), unary.go, conv.go,
// convtranspose.go, pool.go, normalization.go, reduce.go, softmax.go,
// gemm.go, einsum.go, shape.go (operators that move values), broadcast.go (Expand,
// Tile), gather.go, pad.go, slice.go, resize.go, select.go, compare.go,
// cast.go and constant.go. Shared pieces: ops.go (the registry), attrs.go,
// check.go (input and size checks), window.go (the sliding window of Conv
// and pooling), fused.go, gradient.go (Differentiable, VJP and the
// helpers that build VJPs) and lowrank.go (LowRank and VJPLow).
//
// # Adding an operator and its gradient
//
//  1. Write its builder in the file of its family: parse and check the
//     attributes into a type (or closure variables) once, and return an Op
//     whose Run reads only those and its inputs. Operators built from
//     closures return opFunc. An output that can outgrow the inputs by a
//     factor the model decides (a shape, pads, repeats, indices, a window,
//     the number of inputs) is checked with budget.checkSize before it is
//     allocated.
//  2. Register it in that file's init: register("Name", buildName, t),
//     with t = differentiable if it has a VJP, else noGradient; add
//     noConformanceData for an operator of the engine's own that ONNX's
//     test data cannot cover.
//  3. For a VJP, implement Differentiable on the built type, with a method
//     VJP that calls firstOutput for a single-output operator, or return
//     diffFunc{run, vjp} from a closure builder; unaryGrad, binaryGrad and
//     traceVJP cover elementwise operators, broadcasting binary operators
//     and operators that only copy elements.
//  4. Tests: forward cases in the family's _test.go; for a differentiable
//     operator at least one case in gradientCases (gradient_test.go), which
//     checks the VJP against finite differences of Run;
//     TestGradientCasesCoverRegistry fails, naming the operator, until it
//     has one. TestConformance (conformance_test.go) runs ONNX's node tests
//     and fails for a registered operator none of whose cases ran.
package ops
