package tflite

import (
	"fmt"

	"camscope/inference/decode"
	"camscope/inference/ops"
)

// Fused activations (schema.fbs, enum ActivationFunctionType).
const (
	actNone     = 0
	actRelu     = 1
	actReluN1   = 2
	actRelu6    = 3
	actTanh     = 4
	paddingSame = 0
)

// operator translates operator i, of builtin code code, into graph nodes.
func (c *converter) operator(i int, code int32, op operator) {
	name := supported[code]
	ins, outs := op.inputs(), op.outputs()
	if len(outs) != 1 {
		fail("operator %d (%s) has %d outputs, not 1", i, name, len(outs))
	}
	in := func(j int) *tensorInfo {
		if j >= len(ins) || ins[j] < 0 {
			fail("operator %d (%s) lacks its input %d", i, name, j)
		}
		return c.tensorAt(ins[j], fmt.Sprintf("operator %d (%s)", i, name))
	}
	optional := func(j int) *tensorInfo {
		if j >= len(ins) || ins[j] < 0 {
			return nil
		}
		return in(j)
	}
	out := c.tensorAt(outs[0], fmt.Sprintf("operator %d (%s)", i, name))
	if out.value != "" || out.data != nil {
		fail("operator %d (%s) writes tensor %q, which is already an input, a constant or another operator's output", i, name, out.name)
	}
	switch code {
	case opConv:
		o := op.options(optConv2D, name)
		c.conv(in(0), in(1), optional(2), out, convParams{same: o.int8(0, 0) == paddingSame, strideW: o.int32(1, 1), strideH: o.int32(2, 1),
			act: o.int8(3, 0), dilW: o.int32(4, 1), dilH: o.int32(5, 1)}, false)
	case opDepthwise:
		o := op.options(optDepthwiseConv, name)
		c.conv(in(0), in(1), optional(2), out, convParams{same: o.int8(0, 0) == paddingSame, strideW: o.int32(1, 1), strideH: o.int32(2, 1),
			act: o.int8(4, 0), dilW: o.int32(5, 1), dilH: o.int32(6, 1)}, true)
	case opAveragePool, opMaxPool:
		o := op.options(optPool2D, name)
		c.pool(in(0), out, code == opMaxPool, convParams{same: o.int8(0, 0) == paddingSame, strideW: o.int32(1, 1), strideH: o.int32(2, 1),
			act: o.int8(5, 0), dilW: 1, dilH: 1}, int(o.int32(3, 0)), int(o.int32(4, 0)))
	case opFullyConnected:
		o := op.options(optFullyConn, name)
		if f := o.int8(1, 0); f != 0 {
			failErr(fmt.Errorf("%w: FULLY_CONNECTED operator %d keeps its weights in the shuffled format %d, which CAMscope does not read", ops.ErrUnsupported, i, f))
		}
		c.fullyConnected(in(0), in(1), optional(2), out, o.int8(0, 0))
	case opAdd, opSub, opMul:
		opt := map[int32]uint8{opAdd: optAdd, opSub: optSub, opMul: optMul}[code]
		onnx := map[int32]string{opAdd: "Add", opSub: "Sub", opMul: "Mul"}[code]
		c.binary(onnx, in(0), in(1), out, op.options(opt, name).int8(0, 0))
	case opConcat:
		o := op.options(optConcat, name)
		var parts []*tensorInfo
		for j := range ins {
			parts = append(parts, in(j))
		}
		c.concat(parts, out, int(o.int32(0, 0)), o.int8(1, 0))
	case opMean:
		c.mean(in(0), in(1), out, op.options(optReducer, name).bool(0))
	case opReshape, opSqueeze:
		x := c.operand(in(0))
		c.reshapeTo(x.value, x.shape, x.nchw, out)
	case opPad:
		c.pad(in(0), in(1), out)
	case opSoftmax:
		c.softmax(in(0), out, op.options(optSoftmax, name).float32(0, 0))
	case opQuantize, opDequantize:
		x := in(0)
		if x.data != nil {
			// A constant stored in another type (float16 weights with a
			// DEQUANTIZE): the output is that constant, in float.
			out.data, out.typ, out.quant, out.shape = x.data, x.typ, x.quant, x.shape
			return
		}
		x = c.operand(x)
		out.value, out.nchw = x.value, x.nchw
	case opRelu, opRelu6, opReluN1To1, opTanh:
		x := c.operand(in(0))
		act := map[int32]int8{opRelu: actRelu, opRelu6: actRelu6, opReluN1To1: actReluN1, opTanh: actTanh}[code]
		out.nchw = x.nchw
		c.activation(act, x.value, c.valueOf(out))
	case opLogistic, opHardSwish:
		x := c.operand(in(0))
		onnx := map[int32]string{opLogistic: "Sigmoid", opHardSwish: "HardSwish"}[code]
		out.nchw = x.nchw
		c.node(onnx, []string{x.value}, c.valueOf(out), nil)
	}
}

// valueOf names the graph tensor that will hold t.
func (c *converter) valueOf(t *tensorInfo) string {
	if t.value == "" {
		t.value = c.fresh(t.name)
	}
	return t.value
}

// node appends one graph node.
func (c *converter) node(opType string, inputs []string, output string, attrs ops.Attrs) {
	if attrs == nil {
		attrs = ops.Attrs{}
	}
	c.g.Nodes = append(c.g.Nodes, &decode.Node{Name: output, OpType: opType, Inputs: inputs, Outputs: []string{output}, Attrs: attrs})
}

// withActivation makes out the output of a node emit writes followed by
// the fused activation act.
func (c *converter) withActivation(act int8, out string, emit func(to string)) {
	if act == actNone {
		emit(out)
		return
	}
	linear := c.fresh(out + "/linear")
	emit(linear)
	c.activation(act, linear, out)
}

// activation appends the node of a (fused) activation.
func (c *converter) activation(act int8, x, out string) {
	switch act {
	case actNone:
		c.node("Identity", []string{x}, out, nil)
	case actRelu:
		c.node("Relu", []string{x}, out, nil)
	case actRelu6:
		c.node("Clip", []string{x, c.scalar(0), c.scalar(6)}, out, nil)
	case actReluN1:
		c.node("Clip", []string{x, c.scalar(-1), c.scalar(1)}, out, nil)
	case actTanh:
		c.node("Tanh", []string{x}, out, nil)
	default:
		failErr(fmt.Errorf("%w: fused activation %d (computing %q) is not one CAMscope reads (NONE, RELU, RELU_N1_TO_1, RELU6, TANH)", ops.ErrUnsupported, act, out))
	}
}

type convParams struct {
	same             bool
	strideW, strideH int32
	dilW, dilH       int32
	act              int8
}

// pads returns ONNX pads [top, left, bottom, right] for an input of h x w
// and a kernel of kh x kw: TFLite's SAME is ONNX's SAME_UPPER (the odd
// pixel at the end), VALID none.
func (p convParams) pads(h, w, kh, kw int) []int64 {
	if !p.same {
		return []int64{0, 0, 0, 0}
	}
	one := func(in, k, stride, dil int) (int64, int64) {
		out := (in + stride - 1) / stride
		total := max((out-1)*stride+(k-1)*dil+1-in, 0)
		return int64(total / 2), int64(total - total/2)
	}
	t, b := one(h, kh, int(p.strideH), int(p.dilH))
	l, r := one(w, kw, int(p.strideW), int(p.dilW))
	return []int64{t, l, b, r}
}

func (p convParams) check(what string) {
	if p.strideW < 1 || p.strideH < 1 || p.dilW < 1 || p.dilH < 1 || p.strideW > 1<<16 || p.strideH > 1<<16 || p.dilW > 1<<16 || p.dilH > 1<<16 {
		fail("%s has strides %dx%d and dilations %dx%d; they must be positive", what, p.strideH, p.strideW, p.dilH, p.dilW)
	}
}

// image returns the 4-D activation x, held in NCHW, for an operator that
// works on images.
func (c *converter) image(x *tensorInfo, what string) *tensorInfo {
	if x.data != nil || x.value == "" || !x.nchw {
		fail("%s reads %q, which is not a 4-D image tensor [1,H,W,C] computed by the model", what, x.name)
	}
	return x
}

// conv translates CONV_2D (weights OHWI) and DEPTHWISE_CONV_2D (weights
// 1HW(C*M)) into a Conv with OIHW weights.
func (c *converter) conv(x, w, b, out *tensorInfo, p convParams, depthwise bool) {
	what := fmt.Sprintf("CONV_2D writing %q", out.name)
	if depthwise {
		what = fmt.Sprintf("DEPTHWISE_CONV_2D writing %q", out.name)
	}
	c.image(x, what)
	p.check(what)
	if len(w.shape) != 4 || w.data == nil {
		fail("%s has weights %q of shape %v, not constant 4-D ones", what, w.name, w.shape)
	}
	inC := x.shape[3]
	var weights []string
	var group int
	if depthwise {
		if w.shape[0] != 1 || inC == 0 || w.shape[3]%inC != 0 {
			fail("%s has weights of shape %v for %d input channels", what, w.shape, inC)
		}
		weights = []string{c.constant(w, []int{3, 0, 1, 2})}
		group = inC
	} else {
		if w.shape[3] == 0 || inC%w.shape[3] != 0 {
			fail("%s has weights of shape %v for %d input channels", what, w.shape, inC)
		}
		weights = []string{c.constant(w, []int{0, 3, 1, 2})}
		group = inC / w.shape[3]
	}
	outC := w.shape[0]
	if depthwise {
		outC = w.shape[3]
	}
	if b != nil {
		weights = append(weights, c.bias(b, x, w, outC, what))
	}
	kh, kw := w.shape[1], w.shape[2]
	attrs := ops.Attrs{
		"kernel_shape": []int64{int64(kh), int64(kw)},
		"strides":      []int64{int64(p.strideH), int64(p.strideW)},
		"dilations":    []int64{int64(p.dilH), int64(p.dilW)},
		"pads":         p.pads(x.shape[1], x.shape[2], kh, kw),
		"group":        int64(group),
	}
	out.nchw = true
	c.withActivation(p.act, c.valueOf(out), func(to string) {
		c.node("Conv", append([]string{x.value}, weights...), to, attrs)
	})
}

// pool translates AVERAGE_POOL_2D and MAX_POOL_2D. TFLite's average leaves
// the padding out of the count, as ONNX's does by default.
func (c *converter) pool(x, out *tensorInfo, isMax bool, p convParams, fw, fh int) {
	what := fmt.Sprintf("pooling writing %q", out.name)
	c.image(x, what)
	p.check(what)
	if fw < 1 || fh < 1 || fw > 1<<16 || fh > 1<<16 {
		fail("%s has a %dx%d filter", what, fh, fw)
	}
	opType := "AveragePool"
	if isMax {
		opType = "MaxPool"
	}
	attrs := ops.Attrs{
		"kernel_shape": []int64{int64(fh), int64(fw)},
		"strides":      []int64{int64(p.strideH), int64(p.strideW)},
		"pads":         p.pads(x.shape[1], x.shape[2], fh, fw),
	}
	out.nchw = true
	c.withActivation(p.act, c.valueOf(out), func(to string) {
		c.node(opType, []string{x.value}, to, attrs)
	})
}

// fullyConnected translates FULLY_CONNECTED (weights [O,I]): the input
// flattened to [N,I] in the file's order, a Gemm, then the output shape.
func (c *converter) fullyConnected(x, w, b, out *tensorInfo, act int8) {
	what := fmt.Sprintf("FULLY_CONNECTED writing %q", out.name)
	if len(w.shape) != 2 || w.data == nil {
		fail("%s has weights %q of shape %v, not constant 2-D ones", what, w.name, w.shape)
	}
	units, inner := w.shape[0], w.shape[1]
	xv := c.operand(x)
	size := 1
	for _, d := range xv.shape {
		size *= d
	}
	if inner == 0 || size%inner != 0 {
		fail("%s multiplies %q of shape %v by weights of shape %v", what, x.name, x.shape, w.shape)
	}
	rows := size / inner
	flat := c.reshape(xv.value, xv.shape, xv.nchw, []int{rows, inner}, out.name+"/flat")
	inputs := []string{flat, c.constant(w, nil)}
	if b != nil {
		inputs = append(inputs, c.bias(b, x, w, units, what))
	}
	attrs := ops.Attrs{"transB": int64(1)}
	if len(out.shape) == 2 && out.shape[0] == rows && out.shape[1] == units {
		c.withActivation(act, c.valueOf(out), func(to string) { c.node("Gemm", inputs, to, attrs) })
		return
	}
	gemm := c.fresh(out.name + "/matrix")
	c.withActivation(act, gemm, func(to string) { c.node("Gemm", inputs, to, attrs) })
	c.reshapeTo(gemm, []int{rows, units}, false, out)
}

// binary translates ADD, SUB and MUL, with broadcasting: a 4-D result is
// computed in NCHW, and a constant or lower-rank operand is laid out to
// match it.
func (c *converter) binary(opType string, a, b, out *tensorInfo, act int8) {
	nchw := len(out.shape) == 4
	in := []string{c.operandIn(a, nchw), c.operandIn(b, nchw)}
	out.nchw = nchw
	c.withActivation(act, c.valueOf(out), func(to string) { c.node(opType, in, to, nil) })
}

// concat translates CONCATENATION.
func (c *converter) concat(parts []*tensorInfo, out *tensorInfo, axis int, act int8) {
	rank := len(out.shape)
	if axis < 0 {
		axis += rank
	}
	if axis < 0 || axis >= rank {
		fail("CONCATENATION writing %q has axis %d for rank %d", out.name, axis, rank)
	}
	nchw := rank == 4
	var in []string
	for _, p := range parts {
		if len(p.shape) != rank {
			fail("CONCATENATION writing %q joins %q of shape %v to rank %d", out.name, p.name, p.shape, rank)
		}
		in = append(in, c.operandIn(p, nchw))
	}
	if nchw {
		axis = toNCHWAxis[axis]
	}
	out.nchw = nchw
	c.withActivation(act, c.valueOf(out), func(to string) {
		c.node("Concat", in, to, ops.Attrs{"axis": int64(axis)})
	})
}

// mean translates MEAN. On an image it averages in NCHW keeping the
// dimensions, so the head reads a pooled [1,C,1,1] map as from ONNX's
// GlobalAveragePool, then reshapes to the file's shape when the file drops
// them.
func (c *converter) mean(x, axes, out *tensorInfo, keep bool) {
	xv := c.operand(x)
	rank := len(xv.shape)
	list := c.ints(axes)
	reduced := append([]int(nil), xv.shape...)
	var onnxAxes []int64
	for _, a := range list {
		if a < 0 {
			a += int64(rank)
		}
		if a < 0 || a >= int64(rank) {
			fail("MEAN writing %q has axis %d for rank %d", out.name, a, rank)
		}
		reduced[a] = 1
		if xv.nchw {
			a = int64(toNCHWAxis[a])
		}
		onnxAxes = append(onnxAxes, a)
	}
	if !xv.nchw {
		keepDims := int64(0)
		if keep {
			keepDims = 1
		}
		c.node("ReduceMean", []string{xv.value}, c.valueOf(out), ops.Attrs{"axes": onnxAxes, "keepdims": keepDims})
		return
	}
	attrs := ops.Attrs{"axes": onnxAxes, "keepdims": int64(1)}
	if keep {
		out.nchw = true
		c.node("ReduceMean", []string{xv.value}, c.valueOf(out), attrs)
		return
	}
	pooled := c.fresh(out.name + "/pooled")
	c.node("ReduceMean", []string{xv.value}, pooled, attrs)
	c.reshapeTo(pooled, reduced, true, out)
}

// pad translates PAD, whose paddings [rank,2] list the file's axes.
func (c *converter) pad(x, paddings, out *tensorInfo) {
	xv := c.operand(x)
	rank := len(xv.shape)
	p := c.ints(paddings)
	if len(p) != 2*rank {
		fail("PAD writing %q has %d paddings for rank %d", out.name, len(p), rank)
	}
	pads := make([]int64, 2*rank)
	for j := range rank {
		from := j
		if xv.nchw {
			from = toNHWCAxis[j]
		}
		pads[j], pads[rank+j] = p[2*from], p[2*from+1]
		if pads[j] < 0 || pads[rank+j] < 0 || pads[j] > 1<<16 || pads[rank+j] > 1<<16 {
			fail("PAD writing %q has paddings %v", out.name, p)
		}
	}
	out.nchw = xv.nchw
	c.node("Pad", []string{xv.value, c.intConst(out.name+"/pads", pads, []int{2 * rank})}, c.valueOf(out), ops.Attrs{"mode": "constant"})
}

// softmax translates SOFTMAX (along the last axis, of beta * x).
func (c *converter) softmax(x, out *tensorInfo, beta float32) {
	xv := c.operand(x)
	in := xv.value
	if xv.nchw {
		in = c.toNHWC(in)
	}
	if beta != 1 {
		scaled := c.fresh(out.name + "/scaled")
		c.node("Mul", []string{in, c.scalar(beta)}, scaled, nil)
		in = scaled
	}
	if !xv.nchw {
		c.node("Softmax", []string{in}, c.valueOf(out), ops.Attrs{"axis": int64(-1)})
		return
	}
	probs := c.fresh(out.name + "/nhwc")
	c.node("Softmax", []string{in}, probs, ops.Attrs{"axis": int64(-1)})
	c.node("Transpose", []string{probs}, c.valueOf(out), ops.Attrs{"perm": []int64{0, 3, 1, 2}})
	out.nchw = true
}
