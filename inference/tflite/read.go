// Package tflite turns the bytes of a TensorFlow Lite file into the
// engine's graph, the same graph package decode makes of an ONNX file, so
// that loading, running, head discovery and every map method work on it
// unchanged.
//
// The file is a FlatBuffer with the schema of TensorFlow's
// tensorflow/lite/schema/schema.fbs, read with the Go FlatBuffers runtime
// (schema.go). Quantized weights are dequantized to float at load and
// activations are computed in float: the quantization of activations is
// dropped and QUANTIZE and DEQUANTIZE become nothing. TFLite is NHWC; the
// graph keeps the file's input shape [1,H,W,C], transposes it to NCHW once
// after the input, holds every 4-D tensor in NCHW from there on (weights
// are transposed at load, axes of MEAN, CONCATENATION and PAD remapped) and
// reshapes back to the file's order only where an operator flattens a
// spatial map (layout.go). The labels file that TFLite metadata zips inside
// the model comes with the graph (labels.go).
package tflite

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"camscope/inference/decode"
	"camscope/inference/ops"
	"camscope/inference/tensor"
)

// ErrNotTFLite is wrapped by the errors of files that cannot be read as
// TensorFlow Lite models.
var ErrNotTFLite = errors.New("not a TensorFlow Lite model")

// Options tune Read.
type Options struct {
	// MaxMemory caps the bytes of any tensor the file declares and of the
	// float weights made from it.
	MaxMemory int64
}

// Is reports whether data carries the TFLite file identifier "TFL3" at
// bytes 4 to 8, where FlatBuffers put a schema's file_identifier.
func Is(data []byte) bool { return len(data) >= 8 && string(data[4:8]) == "TFL3" }

// mainSubgraph is the subgraph Read translates: TFLite's model.
const mainSubgraph = 0

// readError is the panic value that carries an error out of the reader's
// depth to Read, as encoding/json does: every check below fails this way.
type readError struct{ err error }

func failErr(err error) { panic(readError{err}) }

// Read decodes the bytes of a .tflite file into the engine's graph. Its
// first subgraph is the model.
func Read(data []byte, opt Options) (g *decode.Graph, err error) {
	if len(data) < 8 {
		return nil, fmt.Errorf("%w: the file has %d bytes, too few for a TFLite FlatBuffer", ErrNotTFLite, len(data))
	}
	if !Is(data) {
		return nil, fmt.Errorf("%w: it does not carry the TFLite file identifier \"TFL3\" at bytes 4 to 8", ErrNotTFLite)
	}
	defer func() {
		switch r := recover().(type) {
		case nil:
		case readError:
			g, err = nil, r.err
		case malformed:
			g, err = nil, fmt.Errorf("%w: the file is damaged: %s", ErrNotTFLite, r.msg)
		default:
			g, err = nil, fmt.Errorf("%w: the file is damaged or cut short (%v); is it complete?", ErrNotTFLite, r)
		}
	}()
	c := &converter{limit: opt.MaxMemory, fileSize: len(data), used: map[string]bool{}, nhwc: map[string]string{}}
	c.read(rootModel(data))
	c.g.Labels = labelsFile(data)
	return c.g, nil
}

// supported lists the operators Read translates, by builtin code.
var supported = map[int32]string{
	opAdd: "ADD", opAveragePool: "AVERAGE_POOL_2D", opConcat: "CONCATENATION", opConv: "CONV_2D",
	opDepthwise: "DEPTHWISE_CONV_2D", opDequantize: "DEQUANTIZE", opFullyConnected: "FULLY_CONNECTED",
	opLogistic: "LOGISTIC", opMaxPool: "MAX_POOL_2D", opMul: "MUL", opRelu: "RELU", opReluN1To1: "RELU_N1_TO_1",
	opRelu6: "RELU6", opReshape: "RESHAPE", opSoftmax: "SOFTMAX", opTanh: "TANH", opPad: "PAD", opMean: "MEAN",
	opSub: "SUB", opSqueeze: "SQUEEZE", opQuantize: "QUANTIZE", opHardSwish: "HARD_SWISH",
}

// Builtin operator codes (schema.fbs, enum BuiltinOperator).
const (
	opAdd            = 0
	opAveragePool    = 1
	opConcat         = 2
	opConv           = 3
	opDepthwise      = 4
	opDequantize     = 6
	opFullyConnected = 9
	opLogistic       = 14
	opMaxPool        = 17
	opMul            = 18
	opRelu           = 19
	opReluN1To1      = 20
	opRelu6          = 21
	opReshape        = 22
	opSoftmax        = 25
	opTanh           = 28
	opCustom         = 32
	opPad            = 34
	opMean           = 40
	opSub            = 41
	opSqueeze        = 43
	opQuantize       = 114
	opHardSwish      = 117
)

// supportedList names the supported operators for messages.
func supportedList() string {
	names := slices.Sorted(maps.Values(supported))
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// Tensor types (schema.fbs, enum TensorType).
const (
	typeFloat32 = 0
	typeFloat16 = 1
	typeInt32   = 2
	typeUint8   = 3
	typeInt64   = 4
	typeInt16   = 7
	typeInt8    = 9
)

var typeNames = map[int8]string{0: "FLOAT32", 1: "FLOAT16", 2: "INT32", 3: "UINT8", 4: "INT64", 5: "STRING", 6: "BOOL", 7: "INT16",
	8: "COMPLEX64", 9: "INT8", 10: "FLOAT64", 11: "COMPLEX128", 12: "UINT64", 15: "UINT32", 16: "UINT16", 17: "INT4", 18: "BFLOAT16"}

func typeName(t int8) string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return "type " + strconv.Itoa(int(t))
}

// elemSize is the bytes of one element of a tensor type Read decodes, or 0.
func elemSize(t int8) int {
	switch t {
	case typeFloat32, typeInt32:
		return 4
	case typeFloat16, typeInt16:
		return 2
	case typeUint8, typeInt8:
		return 1
	case typeInt64:
		return 8
	}
	return 0
}

// converter turns subgraph 0 of a model into the engine's graph.
type converter struct {
	g        *decode.Graph
	buffers  []buffer
	tensors  []*tensorInfo
	used     map[string]bool   // graph names taken
	nhwc     map[string]string // an NCHW tensor -> its transpose to NHWC
	fileSize int
	limit    int64
	weights  int64 // bytes of the constants made so far
}

// tensorInfo is one tensor of the subgraph and where the graph holds it.
type tensorInfo struct {
	name  string // the file's name, for messages
	shape []int  // the file's shape
	typ   int8
	quant *quantParams
	data  []byte // a constant's bytes, nil for activations
	value string // the graph tensor holding it, "" until computed
	nchw  bool   // value holds this 4-D tensor in NCHW order
}

// quantParams dequantize a tensor: real = scale * (q - zero point), per
// tensor or per channel along dim.
type quantParams struct {
	scale []float32
	zero  []int64
	dim   int
}

func (c *converter) read(m model) {
	if v := m.version(); v != 3 {
		failErr(fmt.Errorf("%w: it has TFLite schema version %d; CAMscope reads version 3, what every converter writes since 2018", ErrNotTFLite, v))
	}
	subgraphs := m.subgraphs()
	if len(subgraphs) == 0 {
		failErr(fmt.Errorf("%w: it has no subgraph", ErrNotTFLite))
	}
	c.buffers = m.buffers()
	codes := m.operatorCodes()
	sg := subgraphs[0]
	c.g = &decode.Graph{Opset: 13, Producer: "TensorFlow Lite", Name: sg.name(), Metadata: map[string]string{}, Consts: map[string]*tensor.Tensor{}}
	if d := strings.TrimSpace(m.description()); d != "" {
		c.g.Metadata["description"] = d
	}
	for _, md := range m.metadata() {
		if n := md.name(); n == "min_runtime_version" {
			if b := c.bufferData(md.buffer(), "metadata "+n); len(b) > 0 {
				c.g.Metadata["tflite_min_runtime_version"] = strings.TrimRight(string(b), "\x00")
			}
		}
	}
	c.readTensors(sg)
	c.readInputs(sg)
	ops := sg.operators()
	if len(ops) == 0 {
		failErr(fmt.Errorf("%w: subgraph %d has no operators", ErrNotTFLite, mainSubgraph))
	}
	for i, op := range ops {
		idx := int(op.opcodeIndex())
		if idx >= len(codes) {
			fail("operator %d names operator code %d of %d", i, idx, len(codes))
		}
		code := codes[idx]
		b := code.builtin()
		if _, ok := supported[b]; !ok {
			failErr(unsupported(b, code.customCode(), mainSubgraph))
		}
		c.operator(i, b, op)
	}
	c.readOutputs(sg)
}

func unsupported(code int32, custom string, sub int) error {
	name := "number " + strconv.Itoa(int(code))
	if code == opCustom {
		name = fmt.Sprintf("CUSTOM %q", custom)
	} else if n, ok := builtinNames[code]; ok {
		name = n
	}
	return fmt.Errorf("%w: TFLite operator %s in subgraph %d is not supported; CAMscope reads image classifiers made of %s",
		ops.ErrUnsupported, name, sub, supportedList())
}

// builtinNames names a few common operators CAMscope does not read, for
// messages.
var builtinNames = map[int32]string{5: "DEPTH_TO_SPACE", 23: "RESIZE_BILINEAR", 26: "SPACE_TO_DEPTH", 36: "GATHER", 39: "TRANSPOSE",
	42: "DIV", 45: "STRIDED_SLICE", 49: "SPLIT", 54: "PRELU", 60: "PADV2", 67: "TRANSPOSE_CONV", 97: "RESIZE_NEAREST_NEIGHBOR",
	98: "LEAKY_RELU", 118: "IF", 119: "WHILE", 126: "BATCH_MATMUL", 150: "GELU"}

// readTensors reads every tensor's shape, type, quantization and data, and
// checks them against the memory limit and the file.
func (c *converter) readTensors(sg subGraph) {
	defs := sg.tensors()
	c.tensors = make([]*tensorInfo, len(defs))
	for i, d := range defs {
		t := &tensorInfo{name: d.name(), typ: d.typ()}
		if t.name == "" {
			t.name = "tensor " + strconv.Itoa(i)
		}
		if d.sparse() {
			failErr(fmt.Errorf("%w: tensor %q is stored sparse, which CAMscope does not read", ops.ErrUnsupported, t.name))
		}
		bytes := int64(4)
		for _, s := range d.shape() {
			if s < 0 {
				s = 1 // a dynamic batch runs one image
			}
			t.shape = append(t.shape, int(s))
			if bytes *= max(int64(s), 1); bytes > c.limit {
				failErr(fmt.Errorf("%w: tensor %q is declared with shape %v, over the limit of %s", decode.ErrTooLarge, t.name, d.shape(), tensor.FormatBytes(c.limit)))
			}
		}
		if q, ok := d.quantization(); ok && !q.hasDetails() {
			if scale := q.scale(); len(scale) > 0 {
				t.quant = &quantParams{scale: scale, zero: q.zeroPoint(), dim: q.quantizedDimension()}
			}
		}
		t.data = c.bufferData(d.buffer(), "tensor "+strconv.Quote(t.name))
		if t.data != nil {
			size := elemSize(t.typ)
			if size == 0 {
				failErr(fmt.Errorf("%w: constant tensor %q has element type %s, which CAMscope does not read", ops.ErrUnsupported, t.name, typeName(t.typ)))
			}
			if want := tensor.Size(t.shape) * size; len(t.data) != want {
				fail("tensor %q has %d bytes of data for its shape %v of %s (%d bytes)", t.name, len(t.data), t.shape, typeName(t.typ), want)
			}
		}
		c.tensors[i] = t
	}
}

// bufferData returns the bytes of buffer i (nil for none or an empty one).
func (c *converter) bufferData(i uint32, what string) []byte {
	if i == 0 {
		return nil
	}
	if int(i) >= len(c.buffers) {
		fail("%s names buffer %d of %d", what, i, len(c.buffers))
	}
	b := c.buffers[i]
	if off, size := b.offset(), b.size(); off > 1 || size > 0 {
		if off+size > uint64(c.fileSize) || off+size < off {
			fail("%s claims %d bytes at offset %d, past the end of the file (%d bytes)", what, size, off, c.fileSize)
		}
		failErr(fmt.Errorf("%w: %s keeps its data outside the FlatBuffer (offset %d, size %d), the layout of TFLite files over 2 GB, which CAMscope does not read",
			ops.ErrUnsupported, what, off, size))
	}
	return b.data()
}

// tensorAt returns tensor i of the subgraph, for an operator's or the
// subgraph's list.
func (c *converter) tensorAt(i int32, what string) *tensorInfo {
	if i < 0 || int(i) >= len(c.tensors) {
		fail("%s names tensor %d of %d", what, i, len(c.tensors))
	}
	return c.tensors[i]
}

// readInputs declares the graph inputs, in float: an image input
// [1,H,W,C] is transposed to NCHW once, right after it.
func (c *converter) readInputs(sg subGraph) {
	ins := sg.inputs()
	if len(ins) == 0 {
		failErr(fmt.Errorf("%w: subgraph %d declares no inputs", ErrNotTFLite, mainSubgraph))
	}
	for _, i := range ins {
		t := c.tensorAt(i, "the subgraph's input")
		switch t.typ {
		case typeFloat32, typeUint8, typeInt8:
		default:
			failErr(fmt.Errorf("input %q has element type %s; CAMscope feeds float32 inputs and quantized uint8 or int8 ones", t.name, typeName(t.typ)))
		}
		if t.data != nil {
			fail("input %q is a constant", t.name)
		}
		name := c.fresh(t.name)
		c.g.Inputs = append(c.g.Inputs, decode.Input{Name: name, Shape: t.shape, DType: tensor.Float32})
		t.value = name
		if len(t.shape) == 4 {
			t.value, t.nchw = c.toNCHW(name), true
		}
		if len(c.g.Inputs) == 1 && len(t.shape) == 4 {
			c.g.Metadata["preprocessing"] = preprocessing(t)
		}
	}
}

// readOutputs declares the graph outputs, in the file's layout.
func (c *converter) readOutputs(sg subGraph) {
	outs := sg.outputs()
	if len(outs) == 0 {
		failErr(fmt.Errorf("%w: subgraph %d declares no outputs", ErrNotTFLite, mainSubgraph))
	}
	for _, i := range outs {
		t := c.tensorAt(i, "the subgraph's output")
		if t.value == "" {
			fail("output %q is computed by no operator", t.name)
		}
		name := t.value
		if t.nchw {
			name = c.toNHWC(name)
		}
		c.g.Outputs = append(c.g.Outputs, name)
	}
	c.g.Declared = map[string][]int{}
	for _, t := range c.tensors {
		if t.value != "" && t.data == nil {
			c.g.Declared[t.value] = t.shape
			if t.nchw {
				c.g.Declared[t.value] = nchwShape(t.shape)
			}
		}
	}
}

// preprocessing describes, in the words package preprocess reads from a
// model's metadata, how a photo becomes the image input t: the whole photo
// resized to the input size, and the values its quantization says. A
// quantized input takes pixel values: uint8 ones as they are, int8 ones
// less 128, so real = scale * (p - zero point) for uint8 and
// scale * (p - 128 - zero point) for int8. A float input carries no range;
// it gets [-1, 1], what TFLite's image classifiers and Teachable Machine
// expect.
func preprocessing(t *tensorInfo) string {
	offset, divisor := 127.5, 127.5
	if t.quant != nil && t.typ != typeFloat32 && t.quant.scale[0] > 0 {
		offset, divisor = 0, 1/float64(t.quant.scale[0])
		if len(t.quant.zero) > 0 {
			offset = float64(t.quant.zero[0])
		}
		if t.typ == typeInt8 {
			offset += 128
		}
	}
	// The metadata reader takes numbers above 1 as pixel values and others
	// as fractions of 255: write them in the form it reads right.
	formula := fmt.Sprintf("(pixel - %s) / %s", num(offset), num(divisor))
	if offset/255 <= 1 && divisor/255 <= 1 {
		formula = fmt.Sprintf("(x - %s) / %s", num(offset/255), num(divisor/255))
	}
	return fmt.Sprintf("RGB image resized to %dx%d (the whole photo); %s; NHWC", t.shape[2], t.shape[1], formula)
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// fresh returns a graph name not taken yet, from a TFLite name (the part
// before the first ';', which the converter uses to list fused names).
func (c *converter) fresh(base string) string {
	base, _, _ = strings.Cut(base, ";")
	if base == "" {
		base = "tensor"
	}
	name := base
	for i := 2; c.used[name]; i++ {
		name = base + "#" + strconv.Itoa(i)
	}
	c.used[name] = true
	return name
}
