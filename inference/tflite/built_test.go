package tflite_test

import (
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"camscope/inference"
	"camscope/inference/cam"
	tb "camscope/inference/internal/tflitebuild"
	"camscope/inference/tensor"
)

// net builds a small TFLite model and keeps what a reference computation
// needs: the float value of every constant.
type net struct {
	m      tb.Model
	consts map[int32]arr
	rng    *rand.Rand
}

func newNet() *net { return &net{consts: map[int32]arr{}, rng: rand.New(rand.NewPCG(1, 2))} }

func (n *net) activation(name string, shape ...int32) int32 {
	n.m.Tensors = append(n.m.Tensors, tb.Tensor{Name: name, Shape: shape, Type: tb.Float32})
	return int32(len(n.m.Tensors) - 1)
}

func (n *net) random(size int) []float32 {
	v := make([]float32, size)
	for i := range v {
		v[i] = float32(n.rng.NormFloat64() * 0.5)
	}
	return v
}

// weights adds a float32 constant of random values.
func (n *net) weights(name string, shape ...int32) int32 {
	v := n.random(size(shape))
	n.m.Tensors = append(n.m.Tensors, tb.Tensor{Name: name, Shape: shape, Type: tb.Float32, Data: tb.FloatData(v)})
	i := int32(len(n.m.Tensors) - 1)
	n.consts[i] = arr{s: ints(shape), v: widen(v)}
	return i
}

// quantized adds an int8 constant quantized per channel along dim (or per
// tensor when dim < 0); the reference sees the dequantized values.
func (n *net) quantized(name string, dim int, shape ...int32) int32 {
	s := ints(shape)
	channels := 1
	if dim >= 0 {
		channels = s[dim]
	}
	scale := make([]float32, channels)
	zero := make([]int64, channels)
	for c := range scale {
		scale[c] = 0.01 * float32(c+1)
		zero[c] = int64(c%3) - 1
	}
	inner := 1
	if dim >= 0 {
		for _, d := range s[dim+1:] {
			inner *= d
		}
	}
	data := make([]byte, size(shape))
	v := make([]float64, len(data))
	for i := range data {
		q := int8(n.rng.IntN(256) - 128)
		data[i] = byte(q)
		c := 0
		if dim >= 0 {
			c = (i / inner) % channels
		}
		v[i] = float64(scale[c]) * float64(int64(q)-zero[c])
	}
	qdim := int32(max(dim, 0))
	n.m.Tensors = append(n.m.Tensors, tb.Tensor{Name: name, Shape: shape, Type: tb.Int8, Data: data, Scale: scale, Zero: zero, QDim: qdim})
	i := int32(len(n.m.Tensors) - 1)
	n.consts[i] = arr{s: s, v: v}
	return i
}

// int32s adds an int32 constant (axes, paddings, shapes).
func (n *net) int32s(name string, shape []int32, v ...int32) int32 {
	n.m.Tensors = append(n.m.Tensors, tb.Tensor{Name: name, Shape: shape, Type: tb.Int32, Data: tb.Int32Data(v)})
	i := int32(len(n.m.Tensors) - 1)
	f := make([]float64, len(v))
	for j, x := range v {
		f[j] = float64(x)
	}
	n.consts[i] = arr{s: ints(shape), v: f}
	return i
}

func (n *net) op(code int32, opts *tb.Options, out int32, in ...int32) int32 {
	n.m.Ops = append(n.m.Ops, tb.Op{Code: code, Inputs: in, Outputs: []int32{out}, Options: opts})
	return out
}

func (n *net) load(t *testing.T) *inference.Model {
	t.Helper()
	m, err := inference.LoadBytes("built.tflite", n.m.Bytes(), inference.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// teachable builds a classifier as Teachable Machine exports them: convs,
// pooling (MEAN over H and W, or AVERAGE_POOL_2D and a RESHAPE), a dense
// layer, then the classes' dense layer and SOFTMAX. It returns the builder
// and the index of the logits tensor.
func teachable(useMean bool) (*net, int32) {
	n := newNet()
	x := n.activation("input", 1, 16, 16, 3)
	c1 := n.op(tb.Conv2D, tb.Conv(tb.Same, 2, tb.ActRelu6), n.activation("conv1", 1, 8, 8, 8), x, n.weights("w1", 8, 3, 3, 3), n.weights("b1", 8))
	c2 := n.op(tb.DepthwiseConv2D, tb.Depthwise(tb.Same, 1, 1, tb.ActRelu), n.activation("features", 1, 8, 8, 8), c1, n.weights("dw", 1, 3, 3, 8), n.weights("db", 8))
	var pooled int32
	if useMean {
		pooled = n.op(tb.Mean, tb.Reducer(false), n.activation("pooled", 1, 8), c2, n.int32s("axes", []int32{2}, 1, 2))
	} else {
		p := n.op(tb.AveragePool, tb.Pool(tb.Valid, 1, 8, tb.ActNone), n.activation("avgpool", 1, 1, 1, 8), c2)
		pooled = n.op(tb.Reshape, nil, n.activation("pooled", 1, 8), p, n.int32s("shape", []int32{2}, 1, 8))
	}
	d1 := n.op(tb.FullyConnected, tb.Dense(tb.ActRelu), n.activation("dense", 1, 16), pooled, n.weights("dw1", 16, 8), n.weights("db1", 16))
	logits := n.op(tb.FullyConnected, tb.Dense(tb.ActNone), n.activation("logits", 1, 3), d1, n.weights("dw2", 3, 16), n.weights("db2", 3))
	probs := n.op(tb.Softmax, tb.SoftmaxBeta(1), n.activation("probs", 1, 3), logits)
	n.m.Inputs, n.m.Outputs = []int32{x}, []int32{probs}
	return n, logits
}

// TestTeachableMachineLikeModel: a built classifier that ends in two dense
// layers after the pooling loads, runs as the reference computes it,
// Grad-CAM applies on its last conv map and CAM says why it does not.
func TestTeachableMachineLikeModel(t *testing.T) {
	for _, useMean := range []bool{true, false} {
		n, logits := teachable(useMean)
		m := n.load(t)
		ex, err := cam.New(m, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		if ok, why := ex.SupportsCAM(); ok || !strings.Contains(why, "global-average-pooling linear head") {
			t.Errorf("mean=%v: SupportsCAM = %v, %q; want false with the reason", useMean, ok, why)
		}
		if ex.Layer != "features" || !tensor.EqualShape(ex.Head.FeatureShape, []int{1, 8, 8, 8}) || ex.Head.NumClasses != 3 || ex.Head.Logits != "logits" {
			t.Errorf("mean=%v: head %+v, want the 8x8 map \"features\" and 3 logits", useMean, ex.Head)
		}
		x := tensor.FromFloat32([]int{1, 16, 16, 3}, n.random(16*16*3))
		want := n.reference(t, x, logits)
		pass, err := ex.Forward(context.Background(), x, cam.GradCAM)
		if err != nil {
			t.Fatal(err)
		}
		if d := maxDiff(pass.Logits, want.v); d > 1e-4 {
			t.Errorf("mean=%v: logits differ from the reference by %g", useMean, d)
		}
		mp, err := pass.Map(1)
		if err != nil {
			t.Fatal(err)
		}
		if mp.W != 8 || mp.H != 8 || flat(mp.Data) {
			t.Errorf("mean=%v: Grad-CAM map %dx%d (flat %v), want a varying 8x8 map", useMean, mp.W, mp.H, flat(mp.Data))
		}
		if _, err := ex.Forward(context.Background(), x, cam.CAM); err == nil {
			t.Errorf("mean=%v: CAM ran on a model without a linear head after the pooling", useMean)
		}
	}
}

// TestLayoutAgainstReference runs a built model through every operator
// whose axes or weights the reader moves from NHWC (paddings, strides, a
// per-channel int8 conv, depthwise with a multiplier, constants broadcast
// along channels, concatenation, pooling, MEAN keeping dimensions, a
// flattening of a spatial map into a dense layer) and compares with a
// plain NHWC computation.
func TestLayoutAgainstReference(t *testing.T) {
	n := newNet()
	x := n.activation("input", 1, 6, 5, 3)
	padded := n.op(tb.Pad, nil, n.activation("padded", 1, 7, 7, 3), x, n.int32s("paddings", []int32{4, 2}, 0, 0, 1, 0, 0, 2, 0, 0))
	conv := n.op(tb.Conv2D, tb.Conv(tb.Valid, 2, tb.ActNone), n.activation("conv", 1, 3, 3, 4), padded, n.quantized("qw", 0, 4, 3, 3, 3), n.weights("qb", 4))
	dw := n.op(tb.DepthwiseConv2D, tb.Depthwise(tb.Same, 1, 2, tb.ActRelu6), n.activation("dw", 1, 3, 3, 8), conv, n.weights("dww", 1, 3, 3, 8), n.weights("dwb", 8))
	added := n.op(tb.Add, tb.Activation(tb.OptAdd, tb.ActNone), n.activation("added", 1, 3, 3, 8), dw, n.weights("bias8", 8))
	scaled := n.op(tb.Mul, tb.Activation(tb.OptMul, tb.ActNone), n.activation("scaled", 1, 3, 3, 8), added, n.weights("scale", 1, 1, 1, 8))
	shifted := n.op(tb.Sub, tb.Activation(tb.OptSub, tb.ActRelu), n.activation("shifted", 1, 3, 3, 8), scaled, n.weights("shift", 3, 1, 1))
	hs := n.op(tb.HardSwish, nil, n.activation("hs", 1, 3, 3, 8), shifted)
	sig := n.op(tb.Logistic, nil, n.activation("sig", 1, 3, 3, 8), hs)
	mp := n.op(tb.MaxPool, tb.Pool(tb.Same, 2, 2, tb.ActNone), n.activation("maxpool", 1, 2, 2, 8), sig)
	ap := n.op(tb.AveragePool, tb.Pool(tb.Same, 2, 3, tb.ActNone), n.activation("avgpool", 1, 2, 2, 8), hs)
	cat := n.op(tb.Concatenation, tb.Concat(3, tb.ActNone), n.activation("cat", 1, 2, 2, 16), mp, ap)
	ch := n.op(tb.Mean, tb.Reducer(true), n.activation("chmean", 1, 2, 2, 1), cat, n.int32s("axis3", []int32{1}, 3))
	cat2 := n.op(tb.Concatenation, tb.Concat(-1, tb.ActNone), n.activation("cat2", 1, 2, 2, 17), cat, ch)
	rows := n.op(tb.Reshape, nil, n.activation("rows", 1, 4, 17), cat2, n.int32s("shape", []int32{3}, 1, 4, 17))
	dense := n.op(tb.FullyConnected, tb.Dense(tb.ActNone), n.activation("dense", 1, 5), rows, n.quantized("fw", -1, 5, 68), n.weights("fb", 5))
	grid := n.op(tb.Reshape, nil, n.activation("grid", 1, 1, 5, 1), dense, n.int32s("shape4", []int32{4}, 1, 1, 5, 1))
	sq := n.op(tb.Squeeze, tb.Squeezing(0, 3), n.activation("squeezed", 1, 5), grid)
	probs := n.op(tb.Softmax, tb.SoftmaxBeta(0.5), n.activation("probs", 1, 5), sq)
	n.m.Inputs, n.m.Outputs = []int32{x}, []int32{probs, cat2}

	m := n.load(t)
	in := tensor.FromFloat32([]int{1, 6, 5, 3}, n.random(6*5*3))
	out, err := m.Run(context.Background(), map[string]*tensor.Tensor{m.Inputs[0].Name: in}, m.Outputs[0].Name, m.Outputs[1].Name)
	if err != nil {
		t.Fatal(err)
	}
	for i, idx := range []int32{probs, cat2} {
		want := n.reference(t, in, idx)
		got := out[m.Outputs[i].Name]
		if !tensor.EqualShape(got.Shape, want.s) {
			t.Fatalf("output %d has shape %v, want the file's %v", i, got.Shape, want.s)
		}
		if d := maxDiff(got.F, want.v); d > 1e-5 {
			t.Errorf("output %d (%s) differs from the NHWC reference by %g", i, m.Outputs[i].Name, d)
		}
	}
}

// arr is a reference tensor: NHWC, float64.
type arr struct {
	s []int
	v []float64
}

func size(shape []int32) int {
	n := 1
	for _, d := range shape {
		n *= int(d)
	}
	return n
}

func ints(s []int32) []int {
	out := make([]int, len(s))
	for i, d := range s {
		out[i] = int(d)
	}
	return out
}

func widen(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func maxDiff(got []float32, want []float64) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	worst := 0.0
	for i := range got {
		worst = math.Max(worst, math.Abs(float64(got[i])-want[i]))
	}
	return worst
}

func flat(v []float32) bool {
	for _, x := range v {
		if x != v[0] {
			return false
		}
	}
	return true
}

// reference computes tensor target of the built model from input x, in
// NHWC and float64, straight from TFLite's definitions of the operators.
func (n *net) reference(t *testing.T, x *tensor.Tensor, target int32) arr {
	t.Helper()
	vals := map[int32]arr{n.m.Inputs[0]: {s: x.Shape, v: widen(x.F)}}
	for k, v := range n.consts {
		vals[k] = v
	}
	for _, op := range n.m.Ops {
		in := func(j int) arr { return vals[op.Inputs[j]] }
		outShape := ints(n.m.Tensors[op.Outputs[0]].Shape)
		o := op.Options
		act := int8(0)
		var r arr
		switch op.Code {
		case tb.Conv2D, tb.DepthwiseConv2D:
			stride, pad := int(o.Int32[1]), o.Int8[0]
			mult := 0
			if op.Code == tb.DepthwiseConv2D {
				mult, act = int(o.Int32[3]), o.Int8[4]
			} else {
				act = o.Int8[3]
			}
			r = refConv(in(0), in(1), in(2), stride, pad == tb.Same, mult)
		case tb.AveragePool, tb.MaxPool:
			act = o.Int8[5]
			r = refPool(in(0), int(o.Int32[3]), int(o.Int32[1]), o.Int8[0] == tb.Same, op.Code == tb.MaxPool)
		case tb.FullyConnected:
			act = o.Int8[0]
			w, b, a := in(1), in(2), in(0)
			units, inner := w.s[0], w.s[1]
			r = arr{s: outShape, v: make([]float64, len(a.v)/inner*units)}
			for row := range len(a.v) / inner {
				for u := range units {
					s := b.v[u]
					for k := range inner {
						s += a.v[row*inner+k] * w.v[u*inner+k]
					}
					r.v[row*units+u] = s
				}
			}
		case tb.Add, tb.Sub, tb.Mul:
			act = o.Int8[0]
			r = refBinary(in(0), in(1), outShape, op.Code)
		case tb.Pad:
			r = refPad(in(0), in(1).v, outShape)
		case tb.Concatenation:
			act = o.Int8[1]
			axis := int(o.Int32[0])
			if axis < 0 {
				axis += len(outShape)
			}
			var parts []arr
			for j := range op.Inputs {
				parts = append(parts, in(j))
			}
			r = refConcat(parts, axis, outShape)
		case tb.Mean:
			r = refMean(in(0), in(1).v, outShape)
		case tb.Reshape, tb.Squeeze, tb.Quantize, tb.Dequantize:
			r = arr{s: outShape, v: in(0).v}
		case tb.Relu, tb.Relu6:
			a := in(0)
			r = arr{s: a.s, v: make([]float64, len(a.v))}
			for i, v := range a.v {
				r.v[i] = math.Max(v, 0)
				if op.Code == tb.Relu6 {
					r.v[i] = math.Min(r.v[i], 6)
				}
			}
		case tb.Softmax:
			r = refSoftmax(in(0), float64(o.Float[0]))
		case tb.HardSwish, tb.Logistic:
			a := in(0)
			r = arr{s: a.s, v: make([]float64, len(a.v))}
			for i, v := range a.v {
				if op.Code == tb.Logistic {
					r.v[i] = 1 / (1 + math.Exp(-v))
				} else {
					r.v[i] = v * math.Min(math.Max(v+3, 0), 6) / 6
				}
			}
		default:
			t.Fatalf("no reference for operator %d", op.Code)
		}
		for i, v := range r.v {
			switch act {
			case tb.ActRelu:
				r.v[i] = math.Max(v, 0)
			case tb.ActRelu6:
				r.v[i] = math.Min(math.Max(v, 0), 6)
			}
		}
		vals[op.Outputs[0]] = r
	}
	return vals[target]
}

func tfPad(in, k, stride int, same bool) (out, before int) {
	if !same {
		return (in-k)/stride + 1, 0
	}
	out = (in + stride - 1) / stride
	return out, max((out-1)*stride+k-in, 0) / 2
}

func refConv(x, w, b arr, stride int, same bool, mult int) arr {
	h, wd, c := x.s[1], x.s[2], x.s[3]
	kh, kw := w.s[1], w.s[2]
	oh, pt := tfPad(h, kh, stride, same)
	ow, pl := tfPad(wd, kw, stride, same)
	oc := w.s[0]
	if mult > 0 {
		oc = w.s[3]
	}
	r := arr{s: []int{1, oh, ow, oc}, v: make([]float64, oh*ow*oc)}
	for oy := range oh {
		for ox := range ow {
			for o := range oc {
				s := b.v[o]
				for ky := range kh {
					for kx := range kw {
						iy, ix := oy*stride+ky-pt, ox*stride+kx-pl
						if iy < 0 || iy >= h || ix < 0 || ix >= wd {
							continue
						}
						if mult > 0 {
							s += x.v[(iy*wd+ix)*c+o/mult] * w.v[(ky*kw+kx)*oc+o]
							continue
						}
						for i := range c {
							s += x.v[(iy*wd+ix)*c+i] * w.v[((o*kh+ky)*kw+kx)*c+i]
						}
					}
				}
				r.v[(oy*ow+ox)*oc+o] = s
			}
		}
	}
	return r
}

func refPool(x arr, k, stride int, same, isMax bool) arr {
	h, wd, c := x.s[1], x.s[2], x.s[3]
	oh, pt := tfPad(h, k, stride, same)
	ow, pl := tfPad(wd, k, stride, same)
	r := arr{s: []int{1, oh, ow, c}, v: make([]float64, oh*ow*c)}
	for oy := range oh {
		for ox := range ow {
			for ch := range c {
				s, n := 0.0, 0
				if isMax {
					s = math.Inf(-1)
				}
				for ky := range k {
					for kx := range k {
						iy, ix := oy*stride+ky-pt, ox*stride+kx-pl
						if iy < 0 || iy >= h || ix < 0 || ix >= wd {
							continue
						}
						v := x.v[(iy*wd+ix)*c+ch]
						if isMax {
							s = math.Max(s, v)
						} else {
							s += v
						}
						n++
					}
				}
				if !isMax {
					s /= float64(n)
				}
				r.v[(oy*ow+ox)*c+ch] = s
			}
		}
	}
	return r
}

// index helpers for general-rank reference operators.
func strides(s []int) []int {
	st := make([]int, len(s))
	acc := 1
	for i := len(s) - 1; i >= 0; i-- {
		st[i] = acc
		acc *= s[i]
	}
	return st
}

func coords(i int, s []int) []int {
	c := make([]int, len(s))
	for d := len(s) - 1; d >= 0; d-- {
		c[d] = i % s[d]
		i /= s[d]
	}
	return c
}

func refBinary(a, b arr, out []int, code int32) arr {
	r := arr{s: out, v: make([]float64, sizeOf(out))}
	at := func(x arr, c []int) float64 {
		off := len(c) - len(x.s)
		st := strides(x.s)
		idx := 0
		for d := range x.s {
			if x.s[d] > 1 {
				idx += c[off+d] * st[d]
			}
		}
		return x.v[idx]
	}
	for i := range r.v {
		c := coords(i, out)
		p, q := at(a, c), at(b, c)
		switch code {
		case tb.Add:
			r.v[i] = p + q
		case tb.Sub:
			r.v[i] = p - q
		case tb.Mul:
			r.v[i] = p * q
		}
	}
	return r
}

func sizeOf(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

func refPad(x arr, p []float64, out []int) arr {
	r := arr{s: out, v: make([]float64, sizeOf(out))}
	st := strides(out)
	for i, v := range x.v {
		c := coords(i, x.s)
		idx := 0
		for d := range c {
			idx += (c[d] + int(p[2*d])) * st[d]
		}
		r.v[idx] = v
	}
	return r
}

func refConcat(parts []arr, axis int, out []int) arr {
	r := arr{s: out, v: make([]float64, sizeOf(out))}
	st := strides(out)
	base := 0
	for _, p := range parts {
		for i, v := range p.v {
			c := coords(i, p.s)
			c[axis] += base
			idx := 0
			for d := range c {
				idx += c[d] * st[d]
			}
			r.v[idx] = v
		}
		base += p.s[axis]
	}
	return r
}

func refMean(x arr, axes []float64, out []int) arr {
	keep := make([]int, len(x.s))
	copy(keep, x.s)
	count := 1
	for _, a := range axes {
		count *= x.s[int(a)]
		keep[int(a)] = 1
	}
	r := arr{s: out, v: make([]float64, sizeOf(keep))}
	st := strides(keep)
	for i, v := range x.v {
		c := coords(i, x.s)
		idx := 0
		for d := range c {
			if keep[d] > 1 {
				idx += c[d] * st[d]
			}
		}
		r.v[idx] += v / float64(count)
	}
	return r
}

func refSoftmax(x arr, beta float64) arr {
	n := x.s[len(x.s)-1]
	r := arr{s: x.s, v: make([]float64, len(x.v))}
	for row := 0; row < len(x.v); row += n {
		mx := math.Inf(-1)
		for _, v := range x.v[row : row+n] {
			mx = math.Max(mx, beta*v)
		}
		sum := 0.0
		for i, v := range x.v[row : row+n] {
			r.v[row+i] = math.Exp(beta*v - mx)
			sum += r.v[row+i]
		}
		for i := range n {
			r.v[row+i] /= sum
		}
	}
	return r
}

// TestQuantizeAndActivations: QUANTIZE and DEQUANTIZE of activations
// change nothing in the float graph, a DEQUANTIZE of float16 weights gives
// them in float, RELU and RELU6 stand alone, and a 4-D constant can be an
// operator's data input.
func TestQuantizeAndActivations(t *testing.T) {
	n := newNet()
	x := n.activation("input", 1, 4, 4, 2)
	n.m.Tensors = append(n.m.Tensors, tb.Tensor{Name: "q", Shape: []int32{1, 4, 4, 2}, Type: tb.Uint8, Scale: []float32{0.05}, Zero: []int64{128}})
	q := n.op(tb.Quantize, nil, int32(len(n.m.Tensors)-1), x)
	dq := n.op(tb.Dequantize, nil, n.activation("dq", 1, 4, 4, 2), q)
	r6 := n.op(tb.Relu6, nil, n.activation("relu6", 1, 4, 4, 2), dq)
	w := n.op(tb.Dequantize, nil, n.activation("w32", 3, 1, 1, 2), n.half("w16", 3, 1, 1, 2))
	conv := n.op(tb.Conv2D, tb.Conv(tb.Valid, 1, tb.ActNone), n.activation("conv", 1, 4, 4, 3), r6, w, n.weights("b", 3))
	relu := n.op(tb.Relu, nil, n.activation("relu", 1, 4, 4, 3), conv)
	// A 4-D constant read by MEAN, then broadcast over the channels.
	gain := n.op(tb.Mean, tb.Reducer(true), n.activation("gain", 1, 4, 4, 1), n.weights("w4d", 1, 4, 4, 3), n.int32s("axis", []int32{1}, 3))
	out := n.op(tb.Mul, tb.Activation(tb.OptMul, tb.ActNone), n.activation("out", 1, 4, 4, 3), relu, gain)
	n.m.Inputs, n.m.Outputs = []int32{x}, []int32{out}
	m := n.load(t)
	in := tensor.FromFloat32([]int{1, 4, 4, 2}, n.random(32))
	for i := range in.F {
		in.F[i] *= 8 // past 6, so that RELU6 clips
	}
	got, err := m.Run(context.Background(), map[string]*tensor.Tensor{m.Inputs[0].Name: in}, m.Outputs[0].Name)
	if err != nil {
		t.Fatal(err)
	}
	want := n.reference(t, in, out)
	if d := maxDiff(got[m.Outputs[0].Name].F, want.v); d > 1e-5 {
		t.Errorf("output differs from the reference by %g", d)
	}
}

// half adds a float16 constant of random values that float16 holds
// exactly (multiples of 1/64 below 4).
func (n *net) half(name string, shape ...int32) int32 {
	v := make([]float64, size(shape))
	data := make([]byte, 2*len(v))
	for i := range v {
		k := n.rng.IntN(511) - 255
		v[i] = float64(k) / 64
		binary.LittleEndian.PutUint16(data[2*i:], toHalf(v[i]))
	}
	n.m.Tensors = append(n.m.Tensors, tb.Tensor{Name: name, Shape: shape, Type: tb.Float16, Data: data})
	i := int32(len(n.m.Tensors) - 1)
	n.consts[i] = arr{s: ints(shape), v: v}
	return i
}

// toHalf encodes a value that float16 holds exactly.
func toHalf(v float64) uint16 {
	if v == 0 {
		return 0
	}
	var sign uint16
	if v < 0 {
		sign, v = 0x8000, -v
	}
	frac, exp := math.Frexp(v) // v = frac * 2^exp, frac in [0.5, 1)
	return sign | uint16(exp+14)<<10 | uint16((frac*2-1)*1024)
}

// TestPoolingDenseHeadSupportsCAM: global pooling (MEAN over H and W, or
// AVERAGE_POOL_2D and a RESHAPE) followed by a single dense layer is a CAM
// head, and its CAM is Grad-CAM's map up to the positive factor h x w.
func TestPoolingDenseHeadSupportsCAM(t *testing.T) {
	for _, useMean := range []bool{true, false} {
		n := newNet()
		x := n.activation("input", 1, 12, 12, 3)
		feat := n.op(tb.Conv2D, tb.Conv(tb.Same, 2, tb.ActRelu), n.activation("features", 1, 6, 6, 5), x, n.weights("w", 5, 3, 3, 3), n.weights("b", 5))
		var pooled int32
		if useMean {
			pooled = n.op(tb.Mean, tb.Reducer(false), n.activation("pooled", 1, 5), feat, n.int32s("axes", []int32{2}, 1, 2))
		} else {
			p := n.op(tb.AveragePool, tb.Pool(tb.Valid, 1, 6, tb.ActNone), n.activation("avgpool", 1, 1, 1, 5), feat)
			pooled = n.op(tb.Reshape, nil, n.activation("pooled", 1, 5), p, n.int32s("shape", []int32{2}, 1, 5))
		}
		logits := n.op(tb.FullyConnected, tb.Dense(tb.ActNone), n.activation("logits", 1, 4), pooled, n.weights("dw", 4, 5), n.weights("db", 4))
		probs := n.op(tb.Softmax, tb.SoftmaxBeta(1), n.activation("probs", 1, 4), logits)
		n.m.Inputs, n.m.Outputs = []int32{x}, []int32{probs}
		ex, err := cam.New(n.load(t), nil, "")
		if err != nil {
			t.Fatal(err)
		}
		if ok, why := ex.SupportsCAM(); !ok || ex.Layer != "features" || ex.Head.Logits != "logits" {
			t.Fatalf("mean=%v: CAM does not apply (%s), layer %q, logits %q", useMean, why, ex.Layer, ex.Head.Logits)
		}
		in := tensor.FromFloat32([]int{1, 12, 12, 3}, n.random(12*12*3))
		maps := map[cam.Method][]float32{}
		for _, method := range []cam.Method{cam.CAM, cam.GradCAM} {
			p, err := ex.Forward(context.Background(), in, method)
			if err != nil {
				t.Fatal(err)
			}
			m, err := p.Map(2)
			if err != nil {
				t.Fatal(err)
			}
			maps[method] = m.Data
		}
		for i, v := range maps[cam.CAM] {
			if g := maps[cam.GradCAM][i] * 36; math.Abs(float64(v-g)) > 1e-4*(1+math.Abs(float64(v))) {
				t.Fatalf("mean=%v: CAM %v, Grad-CAM x 36 %v at %d", useMean, v, g, i)
			}
		}
	}
}
