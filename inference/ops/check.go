package ops

import (
	"errors"
	"fmt"
	"math"

	"camscope/inference/tensor"
)

// in returns input i, or nil when it is absent (optional and not given).
func in(inputs []*tensor.Tensor, i int) *tensor.Tensor {
	if i < len(inputs) {
		return inputs[i]
	}
	return nil
}

// required checks that the first n inputs are present.
func required(op string, inputs []*tensor.Tensor, n int) error {
	for i := 0; i < n; i++ {
		if in(inputs, i) == nil {
			return fmt.Errorf("%s: input %d is missing", op, i)
		}
	}
	return nil
}

// requireFloat checks that t holds float32 values.
func requireFloat(op string, t *tensor.Tensor) error {
	if t.DType != tensor.Float32 {
		return fmt.Errorf("%s: want a float32 input, got %s", op, t)
	}
	return nil
}

// constAt returns n.Consts[i], or nil.
func constAt(n *Node, i int) *tensor.Tensor {
	if i < len(n.Consts) {
		return n.Consts[i]
	}
	return nil
}

// normAxis maps a possibly negative axis into [0, rank).
func normAxis(op string, axis int64, rank int) (int, error) {
	a, err := axisIn(axis, rank)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	return a, nil
}

// axisIn is normAxis for messages that the caller prefixes (VJPs, whose
// errors VJP prefixes with the operator).
func axisIn(axis int64, rank int) (int, error) {
	if axis < -int64(rank) || axis >= int64(rank) {
		return 0, fmt.Errorf("axis %d is out of range for rank %d", axis, rank)
	}
	if axis < 0 {
		axis += int64(rank)
	}
	return int(axis), nil
}

// normAxes maps axes into [0, rank) and rejects duplicates.
func normAxes(op string, axes []int64, rank int) ([]int, error) {
	out := make([]int, len(axes))
	seen := make([]bool, rank)
	for i, a := range axes {
		ax, err := normAxis(op, a, rank)
		if err != nil {
			return nil, err
		}
		if seen[ax] {
			return nil, fmt.Errorf("%s: axis %d is repeated", op, a)
		}
		seen[ax] = true
		out[i] = ax
	}
	return out, nil
}

// intList reads a 1-D (or scalar) tensor of integers, as used for shapes,
// axes, pads and slice bounds.
func intList(op, what string, t *tensor.Tensor) ([]int64, error) {
	if t.Rank() > 1 {
		return nil, fmt.Errorf("%s: %s must be 1-D, got %s", op, what, tensor.ShapeString(t.Shape))
	}
	if t.DType != tensor.Int64 {
		return nil, fmt.Errorf("%s: %s must be integers, got %s", op, what, t.DType)
	}
	return t.I, nil
}

// scalarFloat reads a one-element tensor as a float.
func scalarFloat(op, what string, t *tensor.Tensor) (float32, error) {
	if t.Len() != 1 {
		return 0, fmt.Errorf("%s: %s must hold one value, got %s", op, what, tensor.ShapeString(t.Shape))
	}
	if t.DType == tensor.Int64 {
		return float32(t.I[0]), nil
	}
	return t.F[0], nil
}

// maxElements bounds the tensors operators allocate from sizes that a
// model's data or attributes decide (pads, repeats, shapes): a bad model
// must get an error, not crash the program by exhausting memory. 2^28
// elements (1 GiB of float32) is far beyond any activation of an image
// classifier.
const maxElements = 1 << 28

// Budget is the memory, in bytes, that an operator's Run may still
// allocate for an output: what is left of the model's memory limit while
// the loader folds constants and makes its check run. An operator whose
// output can outgrow its inputs by a factor that the model decides (a
// shape, pads, repeats, indices, a window, the number of inputs) checks
// the output's size with checkSize before it allocates it; the outputs of
// the others take at most a small fixed multiple of an input's bytes
// (twice for Cast to int64), and the budget has counted that input.
type Budget int64

// NoBudget leaves only the fixed cap of maxElements: for runs of a loaded
// model, whose sizes the load measured.
const NoBudget Budget = math.MaxInt64

// ErrTooLarge is wrapped by the error of an operator whose output would
// pass its Budget. Packages decode and inference wrap it for every model
// over the memory limit.
var ErrTooLarge = errors.New("model needs more memory than allowed")

// checkSize rejects an output of type dt and the given shape with a
// negative dimension, more than maxElements elements or more bytes than b,
// so that the operator refuses it before allocating it.
func (b Budget) checkSize(op string, dt tensor.DType, shape []int) error {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return fmt.Errorf("%s: negative dimension in %s", op, tensor.ShapeString(shape))
		}
		if d != 0 && n > maxElements/d {
			return fmt.Errorf("%s: output %s is too large", op, tensor.ShapeString(shape))
		}
		n *= d
	}
	bytes := 4 * int64(n)
	if dt == tensor.Int64 {
		bytes *= 2
	}
	if bytes > int64(b) {
		return fmt.Errorf("%w: %s output %s needs %s, more than the %s left of the model's memory limit",
			ErrTooLarge, op, tensor.ShapeString(shape), tensor.FormatBytes(bytes), tensor.FormatBytes(int64(b)))
	}
	return nil
}
