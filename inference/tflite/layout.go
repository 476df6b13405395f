package tflite

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"

	"camscope/inference/decode"
	"camscope/inference/tensor"
)

// The graph holds every 4-D tensor in NCHW; the file's shapes are NHWC.
// toNCHWAxis[a] is where the file's axis a of a 4-D tensor sits in the
// graph, toNHWCAxis[j] which of the file's axes the graph's axis j is.
var (
	toNCHWAxis = [4]int{0, 2, 3, 1}
	toNHWCAxis = [4]int{0, 3, 1, 2}
)

// orderSafe reports whether a 4-D NHWC shape has its values in the same
// order in NCHW: one channel, or one position. A reshape may then read
// or write the NCHW tensor directly.
func orderSafe(shape []int) bool {
	return len(shape) == 4 && (shape[3] == 1 || shape[1]*shape[2] == 1)
}

func nchwShape(s []int) []int { return []int{s[0], s[3], s[1], s[2]} }

// toNCHW appends a transpose of the 4-D NHWC tensor x to NCHW.
func (c *converter) toNCHW(x string) string {
	out := c.fresh(x + "/nchw")
	c.node("Transpose", []string{x}, out, map[string]any{"perm": []int64{0, 3, 1, 2}})
	return out
}

// toNHWC returns the 4-D NCHW tensor x in the file's NHWC order, made once.
func (c *converter) toNHWC(x string) string {
	if t, ok := c.nhwc[x]; ok {
		return t
	}
	out := c.fresh(x + "/nhwc")
	c.node("Transpose", []string{x}, out, map[string]any{"perm": []int64{0, 2, 3, 1}})
	c.nhwc[x] = out
	return out
}

// operand returns t ready to be read by a node: a constant becomes a graph
// constant, in NCHW when it is 4-D as every 4-D tensor of the graph is.
func (c *converter) operand(t *tensorInfo) *tensorInfo {
	if t.data != nil && t.value == "" {
		if len(t.shape) == 4 {
			t.value, t.nchw = c.constant(t, []int{0, 3, 1, 2}), true
		} else {
			t.value = c.constant(t, nil)
		}
		return t
	}
	if t.value == "" {
		fail("an operator reads %q before any operator computes it", t.name)
	}
	return t
}

// operandIn returns t laid out for a result that is 4-D (nchw) or not:
// constants and lower-rank tensors broadcast against an NHWC result get
// the NCHW layout of their rank-4 form.
func (c *converter) operandIn(t *tensorInfo, nchw bool) string {
	if !nchw {
		v := c.operand(t)
		if v.nchw {
			fail("an operator of a result of rank below 4 reads the 4-D tensor %q", t.name)
		}
		return v.value
	}
	if len(t.shape) > 4 {
		fail("tensor %q of shape %v is combined with a 4-D image", t.name, t.shape)
	}
	padded := append(make([]int, 4-len(t.shape)), t.shape...)
	for i := range 4 - len(t.shape) {
		padded[i] = 1
	}
	if t.data != nil {
		return c.constantAs(t, padded, []int{0, 3, 1, 2})
	}
	v := c.operand(t)
	if v.nchw {
		return v.value
	}
	return c.toNCHW(c.reshape(v.value, v.shape, false, padded, t.name+"/rank4"))
}

// reshape returns x (of the file's shape, held in NCHW when nchw) in shape
// target, in the file's order; it adds a node only when needed.
func (c *converter) reshape(x string, shape []int, nchw bool, target []int, base string) string {
	if nchw && !orderSafe(shape) {
		x, nchw = c.toNHWC(x), false
	}
	if !nchw && tensor.EqualShape(shape, target) {
		return x
	}
	out := c.fresh(base)
	c.node("Reshape", []string{x, c.shapeConst(base, target)}, out, nil)
	return out
}

// reshapeTo makes x (of the file's shape, held in NCHW when nchw) into out,
// of out's shape: a 4-D result is held in NCHW.
func (c *converter) reshapeTo(x string, shape []int, nchw bool, out *tensorInfo) {
	if tensor.Size(shape) != tensor.Size(out.shape) {
		fail("%q of shape %v cannot be reshaped to %q of shape %v", x, shape, out.name, out.shape)
	}
	name := c.valueOf(out)
	switch {
	case len(out.shape) == 4 && orderSafe(out.shape):
		if nchw && !orderSafe(shape) {
			x = c.toNHWC(x)
		}
		c.node("Reshape", []string{x, c.shapeConst(out.name, nchwShape(out.shape))}, name, nil)
		out.nchw = true
	case len(out.shape) == 4:
		nhwc := c.reshape(x, shape, nchw, out.shape, out.name+"/nhwc")
		c.node("Transpose", []string{nhwc}, name, map[string]any{"perm": []int64{0, 3, 1, 2}})
		out.nchw = true
	default:
		if nchw && !orderSafe(shape) {
			x = c.toNHWC(x)
		}
		c.node("Reshape", []string{x, c.shapeConst(out.name, out.shape)}, name, nil)
	}
}

// addConst adds a constant to the graph, counting its bytes against the
// memory limit.
func (c *converter) addConst(base string, t *tensor.Tensor) string {
	c.account(t.Len())
	name := c.fresh(base)
	c.g.Consts[name] = t
	return name
}

func (c *converter) account(n int) {
	c.weights += 4 * int64(n)
	if c.weights > c.limit {
		failErr(fmt.Errorf("%w: its weights take more than the limit of %s", decode.ErrTooLarge, tensor.FormatBytes(c.limit)))
	}
}

func (c *converter) shapeConst(base string, shape []int) string {
	v := make([]int64, len(shape))
	for i, d := range shape {
		v[i] = int64(d)
	}
	return c.intConst(base+"/shape", v, []int{len(v)})
}

func (c *converter) intConst(base string, v []int64, shape []int) string {
	return c.addConst(base, tensor.FromInt64(shape, v))
}

// scalar returns a float constant of one value.
func (c *converter) scalar(v float32) string {
	return c.addConst("const "+strconv.FormatFloat(float64(v), 'g', -1, 32), tensor.FromFloat32([]int{}, []float32{v}))
}

// constant adds the float value of constant t to the graph, its axes
// permuted by perm (nil: as the file has them).
func (c *converter) constant(t *tensorInfo, perm []int) string {
	return c.constantAs(t, t.shape, perm)
}

// constantAs is constant with t's values seen in shape (of t's size).
func (c *converter) constantAs(t *tensorInfo, shape, perm []int) string {
	v := tensor.FromFloat32(shape, c.floats(t))
	if perm != nil {
		v = permute(v, perm)
	}
	return c.addConst(t.name, v)
}

// ints returns the values of a constant integer tensor (axes, paddings).
func (c *converter) ints(t *tensorInfo) []int64 {
	if t.data == nil {
		fail("%q must be a constant", t.name)
	}
	n := tensor.Size(t.shape)
	out := make([]int64, n)
	for i := range out {
		switch t.typ {
		case typeInt32:
			out[i] = int64(int32(binary.LittleEndian.Uint32(t.data[4*i:])))
		case typeInt64:
			out[i] = int64(binary.LittleEndian.Uint64(t.data[8*i:]))
		default:
			fail("%q holds %s values where integers are expected", t.name, typeName(t.typ))
		}
	}
	return out
}

// floats returns the values of constant t in float: dequantized when it
// is quantized (real = scale * (q - zero point), per tensor or per channel).
func (c *converter) floats(t *tensorInfo) []float32 {
	if t.data == nil {
		fail("%q must be a constant", t.name)
	}
	n := tensor.Size(t.shape)
	c.account(n)
	out := make([]float32, n)
	d := t.data
	switch t.typ {
	case typeFloat32:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(d[4*i:]))
		}
		return out
	case typeFloat16:
		for i := range out {
			out[i] = halfToFloat(binary.LittleEndian.Uint16(d[2*i:]))
		}
		return out
	}
	var q func(i int) int64
	switch t.typ {
	case typeUint8:
		q = func(i int) int64 { return int64(d[i]) }
	case typeInt8:
		q = func(i int) int64 { return int64(int8(d[i])) }
	case typeInt16:
		q = func(i int) int64 { return int64(int16(binary.LittleEndian.Uint16(d[2*i:]))) }
	case typeInt32:
		q = func(i int) int64 { return int64(int32(binary.LittleEndian.Uint32(d[4*i:]))) }
	case typeInt64:
		q = func(i int) int64 { return int64(binary.LittleEndian.Uint64(d[8*i:])) }
	default:
		fail("constant %q has element type %s", t.name, typeName(t.typ))
	}
	if t.quant == nil {
		for i := range out {
			out[i] = float32(q(i))
		}
		return out
	}
	scale, zero, inner, channels := t.quant.perChannel(t)
	if t.typ == typeUint8 || t.typ == typeInt8 {
		// The common case, a table per channel of the 256 values.
		if channels == 1 {
			inner = len(out)
		}
		var table [256]float32
		for ch := range channels {
			for v := range 256 {
				qv := int64(v)
				if t.typ == typeInt8 {
					qv = int64(int8(v))
				}
				table[v] = float32(float64(scale[ch]) * float64(qv-zero[ch]))
			}
			for i := ch * inner; i < len(out); i += channels * inner {
				for j, b := range d[i : i+inner] {
					out[i+j] = table[b]
				}
			}
		}
		return out
	}
	for i := range out {
		ch := 0
		if channels > 1 {
			ch = (i / inner) % channels
		}
		out[i] = float32(float64(scale[ch]) * float64(q(i)-zero[ch]))
	}
	return out
}

// perChannel returns a scale and zero point for each channel, the stride
// of the channel axis and the number of channels (1 per tensor).
func (p *quantParams) perChannel(t *tensorInfo) (scale []float32, zero []int64, inner, channels int) {
	channels = len(p.scale)
	zero = make([]int64, channels)
	switch len(p.zero) {
	case 0:
	case 1:
		for i := range zero {
			zero[i] = p.zero[0]
		}
	case channels:
		copy(zero, p.zero)
	default:
		fail("tensor %q has %d scales and %d zero points", t.name, channels, len(p.zero))
	}
	inner = 1
	if channels > 1 {
		if p.dim < 0 || p.dim >= len(t.shape) || t.shape[p.dim] != channels {
			fail("tensor %q of shape %v has %d scales along dimension %d", t.name, t.shape, channels, p.dim)
		}
		for _, d := range t.shape[p.dim+1:] {
			inner *= d
		}
	}
	return p.scale, zero, inner, channels
}

// bias adds the bias b of a layer with input x and weights w: an int32
// bias without its own scale has scale input scale x weight scale.
func (c *converter) bias(b, x, w *tensorInfo, units int, what string) string {
	if b.data == nil || tensor.Size(b.shape) != units {
		fail("%s has a bias %q of shape %v, not %d constant values", what, b.name, b.shape, units)
	}
	if b.typ == typeInt32 && b.quant == nil && x.quant != nil && w.quant != nil {
		ws := w.quant.scale
		scale := make([]float32, units)
		for i := range scale {
			scale[i] = x.quant.scale[0] * ws[min(i, len(ws)-1)]
		}
		b.quant = &quantParams{scale: scale, dim: 0}
		if len(ws) == 1 {
			b.quant.scale = scale[:1]
		}
	}
	return c.addConst(b.name, tensor.FromFloat32([]int{units}, c.floats(b)))
}

// permute returns t with its axes reordered: axis i of the result is axis
// perm[i] of t.
func permute(t *tensor.Tensor, perm []int) *tensor.Tensor {
	r := len(perm)
	shape := make([]int, r)
	for i, p := range perm {
		shape[i] = t.Shape[p]
	}
	if keepsOrder(t.Shape, perm) {
		return t.Reshaped(shape) // the 1x1 convolutions' weights
	}
	in := tensor.Strides(t.Shape)
	stride := make([]int, r) // the input stride of each output axis
	for i, p := range perm {
		stride[i] = in[p]
	}
	out := tensor.New(shape...)
	idx := make([]int, r)
	for o := range out.F {
		src := 0
		for i := range r {
			src += idx[i] * stride[i]
		}
		out.F[o] = t.F[src]
		for i := r - 1; i >= 0; i-- {
			if idx[i]++; idx[i] < shape[i] {
				break
			}
			idx[i] = 0
		}
	}
	return out
}

// keepsOrder reports whether perm moves only axes of size 1, so that the
// values keep their order.
func keepsOrder(shape, perm []int) bool {
	last := -1
	for _, p := range perm {
		if shape[p] == 1 {
			continue
		}
		if p < last {
			return false
		}
		last = p
	}
	return true
}

// halfToFloat converts an IEEE 754 half-precision value.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: frac * 2^-24
		v := float32(frac) / (1 << 24)
		if sign != 0 {
			v = -v
		}
		return v
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | frac<<13)
	}
	return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
}
