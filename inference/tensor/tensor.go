// Package tensor holds the engine's n-dimensional array: a shape and a flat,
// row-major backing slice of float32 or int64. It is deliberately small; the
// operators in package ops and the kernels in package kernels do the work.
package tensor

import (
	"fmt"
	"strings"
	"unsafe"
)

// DType is the element type of a Tensor.
type DType uint8

const (
	// Float32 tensors keep their values in F.
	Float32 DType = iota
	// Int64 tensors keep their values in I. Every ONNX integer and bool type is
	// widened to int64 on load; shape arithmetic is the only place they occur
	// in the classifiers this engine runs.
	Int64
)

func (d DType) String() string {
	switch d {
	case Float32:
		return "float32"
	case Int64:
		return "int64"
	}
	return fmt.Sprintf("dtype(%d)", uint8(d))
}

// Tensor is a dense row-major array. A zero-length Shape is a scalar.
type Tensor struct {
	Shape []int
	DType DType
	F     []float32
	I     []int64
}

// MaxElements bounds the size of one tensor (4 GiB of float32). Shapes come
// from untrusted model files; a shape past this is refused with a panic
// (which the engine turns into an error) before any memory is allocated.
const MaxElements = 1 << 30

// New returns a zeroed float32 tensor of the given shape.
func New(shape ...int) *Tensor {
	return &Tensor{Shape: append([]int(nil), shape...), F: takeFloat32(checkedSize(shape))}
}

// NewInt64 returns a zeroed int64 tensor of the given shape.
func NewInt64(shape ...int) *Tensor {
	return &Tensor{Shape: append([]int(nil), shape...), DType: Int64, I: make([]int64, checkedSize(shape))}
}

func checkedSize(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("tensor: negative dimension in shape %v", shape))
		}
		if d > 0 && n > MaxElements/d {
			panic(fmt.Sprintf("tensor: shape %v has more than %d elements", shape, MaxElements))
		}
		n *= d
	}
	return n
}

// FromFloat32 wraps data (not copied) with shape. It panics if the sizes differ.
func FromFloat32(shape []int, data []float32) *Tensor {
	if Size(shape) != len(data) {
		panic(fmt.Sprintf("tensor: shape %v needs %d values, got %d", shape, Size(shape), len(data)))
	}
	return &Tensor{Shape: append([]int(nil), shape...), F: data}
}

// FromInt64 wraps data (not copied) with shape. It panics if the sizes differ.
func FromInt64(shape []int, data []int64) *Tensor {
	if Size(shape) != len(data) {
		panic(fmt.Sprintf("tensor: shape %v needs %d values, got %d", shape, Size(shape), len(data)))
	}
	return &Tensor{Shape: append([]int(nil), shape...), DType: Int64, I: data}
}

// Len is the number of elements.
func (t *Tensor) Len() int { return Size(t.Shape) }

// Rank is the number of dimensions.
func (t *Tensor) Rank() int { return len(t.Shape) }

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	c := &Tensor{Shape: append([]int(nil), t.Shape...), DType: t.DType}
	if t.F != nil {
		c.F = append([]float32(nil), t.F...)
	}
	if t.I != nil {
		c.I = append([]int64(nil), t.I...)
	}
	return c
}

// Reshaped returns a tensor sharing t's data with a new shape of equal size.
func (t *Tensor) Reshaped(shape []int) *Tensor {
	if Size(shape) != t.Len() {
		panic(fmt.Sprintf("tensor: cannot reshape %v to %v", t.Shape, shape))
	}
	return &Tensor{Shape: append([]int(nil), shape...), DType: t.DType, F: t.F, I: t.I}
}

// Float64s returns the values widened to float64, whatever the dtype.
func (t *Tensor) Float64s() []float64 {
	out := make([]float64, t.Len())
	if t.DType == Int64 {
		for i, v := range t.I {
			out[i] = float64(v)
		}
		return out
	}
	for i, v := range t.F {
		out[i] = float64(v)
	}
	return out
}

// Int64s returns the values as int64 (float values are truncated toward zero).
func (t *Tensor) Int64s() []int64 {
	if t.DType == Int64 {
		return t.I
	}
	out := make([]int64, len(t.F))
	for i, v := range t.F {
		out[i] = int64(v)
	}
	return out
}

func (t *Tensor) String() string {
	return fmt.Sprintf("%s%s", t.DType, ShapeString(t.Shape))
}

// Size is the number of elements of a tensor of the given shape.
func Size(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// NonzeroSpan returns the index of the first nonzero value of v and one
// past the last; lo == hi == 0 when every value is zero. Gradients are
// often zero but for a span (a vision transformer's, after its class token
// is picked, are that token's row), and the VJPs of element-wise and
// row-wise operators only work over it.
func NonzeroSpan(v []float32) (lo, hi int) {
	// Zero is 0 or -0: a value is nonzero when its bits other than the
	// sign are. The zeros are skipped two values a word, eight words a
	// step (then four), the words starting at element a, the first on an
	// 8-byte boundary.
	const mask = 0x7fffffff7fffffff
	a := 0
	if len(v) > 0 && uintptr(unsafe.Pointer(&v[0]))%8 != 0 {
		a = 1
	}
	var w []uint64
	if len(v) >= a+2 {
		w = unsafe.Slice((*uint64)(unsafe.Pointer(&v[a])), (len(v)-a)/2)
	}
	for lo < a && v[lo] == 0 {
		lo++
	}
	if lo == a {
		i := 0
		for i+8 <= len(w) && (w[i]|w[i+1]|w[i+2]|w[i+3]|w[i+4]|w[i+5]|w[i+6]|w[i+7])&mask == 0 {
			i += 8
		}
		for i+4 <= len(w) && (w[i]|w[i+1]|w[i+2]|w[i+3])&mask == 0 {
			i += 4
		}
		lo = a + 2*i
	}
	for lo < len(v) && v[lo] == 0 {
		lo++
	}
	if lo == len(v) {
		return 0, 0
	}
	for hi = len(v); hi > a+2*len(w); hi-- {
		if v[hi-1] != 0 {
			return lo, hi
		}
	}
	k := len(w)
	for k >= 8 && (w[k-1]|w[k-2]|w[k-3]|w[k-4]|w[k-5]|w[k-6]|w[k-7]|w[k-8])&mask == 0 {
		k -= 8
	}
	for k >= 4 && (w[k-1]|w[k-2]|w[k-3]|w[k-4])&mask == 0 {
		k -= 4
	}
	hi = a + 2*k
	for v[hi-1] == 0 {
		hi--
	}
	return lo, hi
}

// Strides returns the row-major element strides of shape.
func Strides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}

// ShapeString formats a shape as [1x3x224x224].
func ShapeString(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, "x") + "]"
}

// EqualShape reports whether two shapes are identical.
func EqualShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// BroadcastShape returns the numpy-broadcast shape of a and b.
func BroadcastShape(a, b []int) ([]int, error) {
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := 0; i < n; i++ {
		da, db := 1, 1
		if j := len(a) - n + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - n + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db, db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil, fmt.Errorf("shapes %v and %v do not broadcast", a, b)
		}
	}
	return out, nil
}

// FormatBytes writes a size for messages: "1.5 MiB".
func FormatBytes(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", b)
}
