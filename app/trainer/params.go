// Package trainer defines CAMscope's built-in shape classifier, trains it
// with gorgonia on generated scenes, and exports it as ONNX.
//
// The network is a plain stack of 3x3 convolutions with ReLU, some followed
// by 2x2 max pooling, then global average pooling and one linear layer: the
// architecture Class Activation Mapping needs, so the CAM of the exported
// model is exact.
package trainer

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// ConvSpec is one Kernel x Kernel convolution (Kernel 1 or 3; stride 1,
// padding Kernel/2) with ReLU, followed by 2x2 max pooling when Pool is
// set.
type ConvSpec struct {
	Out    int
	Kernel int
	Pool   bool
}

// Arch is the network's shape.
type Arch struct {
	Size    int // input side in pixels
	Classes int
	Convs   []ConvSpec
	// BatchNorm trains every convolution with batch normalisation, which
	// Fold merges into the convolution's weights before export.
	BatchNorm bool
}

// DefaultArch pools twice only, so that a 64x64 scene leaves a 16x16
// feature map (one CAM cell per 4x4 pixels), and keeps the receptive field
// of the last layer (34 pixels) near the size of the shapes: wider fields
// smear the CAM over the background. Batch normalisation is what lets it
// train at all in minutes: without it the features collapse to zero early
// and the loss stays at chance for hundreds of steps.
func DefaultArch(size, classes int, batchNorm bool) Arch {
	return Arch{Size: size, Classes: classes, BatchNorm: batchNorm, Convs: []ConvSpec{
		{16, 3, true}, {32, 3, true}, {48, 3, false}, {64, 3, false}, {64, 3, false},
	}}
}

// FeatureSize is the side of the last feature map.
func (a Arch) FeatureSize() int {
	s := a.Size
	for _, c := range a.Convs {
		if c.Pool {
			s /= 2
		}
	}
	return s
}

// Features is the number of channels of the last feature map.
func (a Arch) Features() int { return a.Convs[len(a.Convs)-1].Out }

// Conv holds one convolution's weights, [Out][In][Kernel][Kernel], and
// biases.
type Conv struct {
	Out, In, Kernel int
	Pool            bool
	W, B            []float32
	// Batch normalisation, when trained with it: y = (x-Mean)/sqrt(Var+eps)
	// * Gamma + Beta after the convolution (which then has no bias).
	Gamma, Beta, Mean, Var []float32
}

// bnEpsilon is the variance floor of batch normalisation.
const bnEpsilon = 1e-5

// Fold returns weights without batch normalisation: each normalised
// convolution becomes a plain one with scaled weights and a bias.
func (p *Params) Fold() *Params {
	q := &Params{Arch: p.Arch, FCW: p.FCW, FCB: p.FCB}
	q.Arch.BatchNorm = false
	for _, c := range p.Convs {
		if c.Gamma == nil {
			q.Convs = append(q.Convs, c)
			continue
		}
		f := Conv{Out: c.Out, In: c.In, Kernel: c.Kernel, Pool: c.Pool, W: make([]float32, len(c.W)), B: make([]float32, c.Out)}
		k := c.In * c.Kernel * c.Kernel
		for o := 0; o < c.Out; o++ {
			s := c.Gamma[o] / float32(math.Sqrt(float64(c.Var[o])+bnEpsilon))
			for i := 0; i < k; i++ {
				f.W[o*k+i] = c.W[o*k+i] * s
			}
			f.B[o] = (c.B[o]-c.Mean[o])*s + c.Beta[o]
		}
		q.Convs = append(q.Convs, f)
	}
	return q
}

// Params are the network's weights as plain slices, in ONNX layout.
type Params struct {
	Arch  Arch
	Convs []Conv
	FCW   []float32 // [Classes][Features]
	FCB   []float32 // [Classes]
}

// NewParams draws initial weights from seed: He-normal convolutions,
// a near-zero linear layer, zero biases.
func NewParams(a Arch, seed uint64) *Params {
	if a.Size%(a.Size/a.FeatureSize()) != 0 || a.Classes < 2 || len(a.Convs) == 0 {
		panic(fmt.Sprintf("trainer: bad architecture %+v", a))
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	p := &Params{Arch: a}
	in := 3
	for _, c := range a.Convs {
		if c.Kernel != 1 && c.Kernel != 3 {
			panic(fmt.Sprintf("trainer: kernel size %d", c.Kernel))
		}
		cv := Conv{Out: c.Out, In: in, Kernel: c.Kernel, Pool: c.Pool, W: make([]float32, c.Out*in*c.Kernel*c.Kernel), B: make([]float32, c.Out)}
		if a.BatchNorm {
			cv.Gamma, cv.Beta = make([]float32, c.Out), make([]float32, c.Out)
			cv.Mean, cv.Var = make([]float32, c.Out), make([]float32, c.Out)
			for i := range cv.Gamma {
				cv.Gamma[i], cv.Var[i] = 1, 1
			}
		}
		std := math.Sqrt(2 / float64(in*c.Kernel*c.Kernel))
		for i := range cv.W {
			cv.W[i] = float32(rng.NormFloat64() * std)
		}
		p.Convs = append(p.Convs, cv)
		in = c.Out
	}
	p.FCW = make([]float32, a.Classes*in)
	p.FCB = make([]float32, a.Classes)
	// A near-zero linear layer starts every class at the same score. A
	// normal-sized one gives confidently wrong scores at once, and the
	// quickest way to lower that loss is to shrink every feature to zero,
	// a collapse that the network (without batch normalisation) never
	// leaves: training then stays at chance.
	std := 0.01
	if a.BatchNorm {
		// Normalised features cannot collapse; a normal-sized layer then
		// learns fastest.
		std = math.Sqrt(1 / float64(in))
	}
	for i := range p.FCW {
		p.FCW[i] = float32(rng.NormFloat64() * std)
	}
	return p
}

// Count returns the number of weights.
func (p *Params) Count() int {
	n := len(p.FCW) + len(p.FCB)
	for _, c := range p.Convs {
		n += len(c.W) + len(c.B)
	}
	return n
}
