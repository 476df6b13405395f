// Package kernels holds the engine's float32 compute kernels: matrix multiply
// and 2-D convolution in NCHW layout (batch 1), with activations fused into
// their output. The tests compare each fast kernel with a slow, obviously
// correct reference (reference_test.go). It also holds every other vector
// loop of the operators, so that all SIMD code lives here: Exp, Sigmoid and
// SiLU (activation.go), the elementwise and pooling loops (arith.go) and the
// sums of average pooling (sum.go).
//
// Gemm and the convolutions run on a packed GEMM (Goto's algorithm) whose
// inner tile is an assembly micro-kernel on amd64: AVX-512 (8x32) or
// AVX2+FMA (6x16), chosen at start-up from CPUID. Other architectures, older
// CPUs and builds with the purego tag use a portable Go tile. Depthwise
// convolutions have their own vector loop. Large calls split their work over
// runtime.GOMAXPROCS(0) goroutines; small ones stay on the caller's. Scratch
// memory comes from pools, so steady-state calls allocate only a few small
// objects, and slices need no particular alignment.
package kernels

import "fmt"

// ActKind selects the activation fused into a kernel's output.
type ActKind uint8

const (
	// ActNone leaves the output as computed.
	ActNone ActKind = iota
	// ActRelu is max(x, 0).
	ActRelu
	// ActClip is min(max(x, Min), Max) (ReLU6 and friends).
	ActClip
	// ActSiLU is x*sigmoid(x) (Swish), computed as SiLU computes it. Only
	// convolutions take it (applied to each block of output while it is
	// still in cache).
	ActSiLU
)

// Activation is an elementwise function applied to a kernel's output.
type Activation struct {
	Kind     ActKind
	Min, Max float32
}

// ConvParams describes a 2-D convolution of a C x H x W input into an
// M x OH x OW output with an M x (C/Group) x KH x KW weight tensor.
type ConvParams struct {
	C, H, W          int
	M                int
	KH, KW           int
	StrideH, StrideW int
	DilH, DilW       int
	PadT, PadL       int
	PadB, PadR       int
	Group            int
	Act              Activation
}

// OutSize returns the output height and width.
func (p ConvParams) OutSize() (oh, ow int) {
	oh = (p.H+p.PadT+p.PadB-p.DilH*(p.KH-1)-1)/p.StrideH + 1
	ow = (p.W+p.PadL+p.PadR-p.DilW*(p.KW-1)-1)/p.StrideW + 1
	return oh, ow
}

// Validate reports parameters that describe no valid convolution.
func (p ConvParams) Validate() error {
	switch {
	case p.C <= 0 || p.H <= 0 || p.W <= 0 || p.M <= 0 || p.KH <= 0 || p.KW <= 0:
		return fmt.Errorf("conv: sizes must be positive (C=%d H=%d W=%d M=%d kernel %dx%d)", p.C, p.H, p.W, p.M, p.KH, p.KW)
	case p.StrideH <= 0 || p.StrideW <= 0 || p.DilH <= 0 || p.DilW <= 0:
		return fmt.Errorf("conv: strides and dilations must be positive")
	case p.PadT < 0 || p.PadL < 0 || p.PadB < 0 || p.PadR < 0:
		return fmt.Errorf("conv: pads must not be negative")
	case p.Group <= 0 || p.C%p.Group != 0 || p.M%p.Group != 0:
		return fmt.Errorf("conv: group %d does not divide %d input and %d output channels", p.Group, p.C, p.M)
	}
	if oh, ow := p.OutSize(); oh <= 0 || ow <= 0 {
		return fmt.Errorf("conv: kernel %dx%d does not fit the padded %dx%d input", p.KH, p.KW, p.H, p.W)
	}
	return nil
}
