// Package tflitebuild writes small TensorFlow Lite files with the Go
// FlatBuffers builder, in the layout of TensorFlow's schema.fbs, for the
// tests and fuzz seeds of the TFLite reader. Only tests import it.
package tflitebuild

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"math"

	flatbuffers "github.com/google/flatbuffers/go"
)

// Builtin operator codes, tensor types, options types and activations of
// schema.fbs that the tests use.
const (
	Add             = 0
	AveragePool     = 1
	Concatenation   = 2
	Conv2D          = 3
	DepthwiseConv2D = 4
	Dequantize      = 6
	FullyConnected  = 9
	Logistic        = 14
	MaxPool         = 17
	Mul             = 18
	Relu            = 19
	Relu6           = 21
	Reshape         = 22
	Softmax         = 25
	Custom          = 32
	Pad             = 34
	Mean            = 40
	Sub             = 41
	Squeeze         = 43
	Quantize        = 114
	HardSwish       = 117

	Float32 = 0
	Float16 = 1
	Int32   = 2
	Uint8   = 3
	Int8    = 9

	OptConv2D    = 1
	OptDepthwise = 2
	OptPool2D    = 5
	OptFullyConn = 8
	OptSoftmax   = 9
	OptConcat    = 10
	OptAdd       = 11
	OptReshape   = 17
	OptMul       = 21
	OptReducer   = 27
	OptSub       = 28
	OptSqueeze   = 30
	Same, Valid  = 0, 1
	ActNone      = 0
	ActRelu      = 1
	ActRelu6     = 3
	Version3     = 3
)

// Model is a one-subgraph TFLite model.
type Model struct {
	Version     uint32 // 0 means 3
	Description string
	Tensors     []Tensor
	Ops         []Op
	Inputs      []int32
	Outputs     []int32
	// Labels, when set, are zipped as labels.txt after the FlatBuffer, as
	// TFLite metadata packs them.
	Labels []byte
	// External adds buffers that claim their data outside the FlatBuffer
	// (offset, size), after the tensors' own.
	External []External
}

// External is a buffer that claims its data at an offset of the file.
type External struct{ Offset, Size uint64 }

// Tensor is one tensor; Data nil means an activation.
type Tensor struct {
	Name   string
	Shape  []int32
	Type   int8
	Data   []byte
	Scale  []float32
	Zero   []int64
	QDim   int32
	Buffer int32 // when > 0, the buffer index to use instead of its own
}

// Op is one operator.
type Op struct {
	Code    int32
	Custom  string
	Inputs  []int32
	Outputs []int32
	Options *Options
}

// Options is a builtin options table: fields by index.
type Options struct {
	Type  uint8
	Int8  map[int]int8
	Int32 map[int]int32
	Float map[int]float32
	Bool  map[int]bool
	Ints  map[int][]int32
}

// Bytes writes the model.
func (m *Model) Bytes() []byte {
	b := flatbuffers.NewBuilder(1024)
	ints := func(v []int32) flatbuffers.UOffsetT {
		b.StartVector(4, len(v), 4)
		for i := len(v) - 1; i >= 0; i-- {
			b.PrependInt32(v[i])
		}
		return b.EndVector(len(v))
	}
	tables := func(v []flatbuffers.UOffsetT) flatbuffers.UOffsetT {
		b.StartVector(4, len(v), 4)
		for i := len(v) - 1; i >= 0; i-- {
			b.PrependUOffsetT(v[i])
		}
		return b.EndVector(len(v))
	}

	// Buffers: 0 is the empty sentinel, then one per constant tensor.
	bufs := []flatbuffers.UOffsetT{}
	empty := func() flatbuffers.UOffsetT { b.StartObject(3); return b.EndObject() }
	bufs = append(bufs, empty())
	bufIndex := make([]uint32, len(m.Tensors))
	for i, t := range m.Tensors {
		if t.Buffer > 0 {
			bufIndex[i] = uint32(t.Buffer)
			continue
		}
		if t.Data == nil {
			continue
		}
		data := b.CreateByteVector(t.Data)
		b.StartObject(3)
		b.PrependUOffsetTSlot(0, data, 0)
		bufIndex[i] = uint32(len(bufs))
		bufs = append(bufs, b.EndObject())
	}
	for _, e := range m.External {
		b.StartObject(3)
		b.PrependUint64Slot(1, e.Offset, 0)
		b.PrependUint64Slot(2, e.Size, 0)
		bufs = append(bufs, b.EndObject())
	}

	var tensors []flatbuffers.UOffsetT
	for i, t := range m.Tensors {
		name := b.CreateString(t.Name)
		shape := ints(t.Shape)
		var quant flatbuffers.UOffsetT
		if t.Scale != nil {
			b.StartVector(4, len(t.Scale), 4)
			for j := len(t.Scale) - 1; j >= 0; j-- {
				b.PrependFloat32(t.Scale[j])
			}
			scale := b.EndVector(len(t.Scale))
			b.StartVector(8, len(t.Zero), 8)
			for j := len(t.Zero) - 1; j >= 0; j-- {
				b.PrependInt64(t.Zero[j])
			}
			zero := b.EndVector(len(t.Zero))
			b.StartObject(7)
			b.PrependUOffsetTSlot(2, scale, 0)
			b.PrependUOffsetTSlot(3, zero, 0)
			b.PrependInt32Slot(6, t.QDim, 0)
			quant = b.EndObject()
		}
		b.StartObject(8)
		b.PrependUOffsetTSlot(0, shape, 0)
		b.PrependInt8Slot(1, t.Type, 0)
		b.PrependUint32Slot(2, bufIndex[i], 0)
		b.PrependUOffsetTSlot(3, name, 0)
		if quant != 0 {
			b.PrependUOffsetTSlot(4, quant, 0)
		}
		tensors = append(tensors, b.EndObject())
	}

	// Operator codes: one per operator, in order.
	var codes, operators []flatbuffers.UOffsetT
	for i, op := range m.Ops {
		var custom flatbuffers.UOffsetT
		if op.Custom != "" {
			custom = b.CreateString(op.Custom)
		}
		b.StartObject(4)
		b.PrependInt8Slot(0, int8(min(op.Code, 127)), 0)
		if custom != 0 {
			b.PrependUOffsetTSlot(1, custom, 0)
		}
		b.PrependInt32Slot(2, 1, 1)
		b.PrependInt32Slot(3, op.Code, 0)
		codes = append(codes, b.EndObject())

		var opts flatbuffers.UOffsetT
		if op.Options != nil {
			opts = op.Options.write(b, ints)
		}
		in, out := ints(op.Inputs), ints(op.Outputs)
		b.StartObject(5)
		b.PrependUint32Slot(0, uint32(i), 0)
		b.PrependUOffsetTSlot(1, in, 0)
		b.PrependUOffsetTSlot(2, out, 0)
		if op.Options != nil {
			b.PrependUint8Slot(3, op.Options.Type, 0)
			b.PrependUOffsetTSlot(4, opts, 0)
		}
		operators = append(operators, b.EndObject())
	}

	tensorVec, inVec, outVec, opVec := tables(tensors), ints(m.Inputs), ints(m.Outputs), tables(operators)
	sgName := b.CreateString("main")
	b.StartObject(5)
	b.PrependUOffsetTSlot(0, tensorVec, 0)
	b.PrependUOffsetTSlot(1, inVec, 0)
	b.PrependUOffsetTSlot(2, outVec, 0)
	b.PrependUOffsetTSlot(3, opVec, 0)
	b.PrependUOffsetTSlot(4, sgName, 0)
	subgraph := b.EndObject()

	codeVec, sgVec, bufVec := tables(codes), tables([]flatbuffers.UOffsetT{subgraph}), tables(bufs)
	desc := b.CreateString(m.Description)
	version := m.Version
	if version == 0 {
		version = Version3
	}
	b.StartObject(8)
	b.PrependUint32Slot(0, version, 0)
	b.PrependUOffsetTSlot(1, codeVec, 0)
	b.PrependUOffsetTSlot(2, sgVec, 0)
	b.PrependUOffsetTSlot(3, desc, 0)
	b.PrependUOffsetTSlot(4, bufVec, 0)
	b.FinishWithFileIdentifier(b.EndObject(), []byte("TFL3"))
	out := append([]byte(nil), b.FinishedBytes()...)
	if m.Labels != nil {
		var z bytes.Buffer
		zw := zip.NewWriter(&z)
		w, _ := zw.Create("labels.txt")
		w.Write(m.Labels)
		zw.Close()
		out = append(out, z.Bytes()...)
	}
	return out
}

func (o *Options) write(b *flatbuffers.Builder, ints func([]int32) flatbuffers.UOffsetT) flatbuffers.UOffsetT {
	vecs := map[int]flatbuffers.UOffsetT{}
	for i, v := range o.Ints {
		vecs[i] = ints(v)
	}
	b.StartObject(8)
	for i, v := range o.Int8 {
		b.PrependInt8Slot(i, v, -1) // never the default: always written
	}
	for i, v := range o.Int32 {
		b.PrependInt32Slot(i, v, math.MinInt32)
	}
	for i, v := range o.Float {
		b.PrependFloat32Slot(i, v, float32(math.NaN()))
	}
	for i, v := range o.Bool {
		b.PrependBoolSlot(i, v, !v)
	}
	for i, v := range vecs {
		b.PrependUOffsetTSlot(i, v, 0)
	}
	return b.EndObject()
}

// FloatData is the little-endian bytes of float32 values.
func FloatData(v []float32) []byte {
	out := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(f))
	}
	return out
}

// Int32Data is the little-endian bytes of int32 values.
func Int32Data(v []int32) []byte {
	out := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(out[4*i:], uint32(x))
	}
	return out
}

// Conv is a Conv2DOptions table.
func Conv(padding int8, stride int32, act int8) *Options {
	return &Options{Type: OptConv2D, Int8: map[int]int8{0: padding, 3: act}, Int32: map[int]int32{1: stride, 2: stride}}
}

// Depthwise is a DepthwiseConv2DOptions table.
func Depthwise(padding int8, stride, multiplier int32, act int8) *Options {
	return &Options{Type: OptDepthwise, Int8: map[int]int8{0: padding, 4: act}, Int32: map[int]int32{1: stride, 2: stride, 3: multiplier}}
}

// Pool is a Pool2DOptions table.
func Pool(padding int8, stride, filter int32, act int8) *Options {
	return &Options{Type: OptPool2D, Int8: map[int]int8{0: padding, 5: act}, Int32: map[int]int32{1: stride, 2: stride, 3: filter, 4: filter}}
}

// Dense is a FullyConnectedOptions table.
func Dense(act int8) *Options {
	return &Options{Type: OptFullyConn, Int8: map[int]int8{0: act}}
}

// SoftmaxBeta is a SoftmaxOptions table.
func SoftmaxBeta(beta float32) *Options {
	return &Options{Type: OptSoftmax, Float: map[int]float32{0: beta}}
}

// Reducer is a ReducerOptions table.
func Reducer(keepDims bool) *Options {
	return &Options{Type: OptReducer, Bool: map[int]bool{0: keepDims}}
}

// Concat is a ConcatenationOptions table.
func Concat(axis int32, act int8) *Options {
	return &Options{Type: OptConcat, Int32: map[int]int32{0: axis}, Int8: map[int]int8{1: act}}
}

// Activation is the options table of ADD (OptAdd), SUB (OptSub) or MUL
// (OptMul).
func Activation(typ uint8, act int8) *Options {
	return &Options{Type: typ, Int8: map[int]int8{0: act}}
}

// Squeezing is a SqueezeOptions table.
func Squeezing(dims ...int32) *Options {
	return &Options{Type: OptSqueeze, Ints: map[int][]int32{0: dims}}
}

// Example is a small classifier for fuzz seeds: an int8 conv with a fused
// RELU6, a depthwise conv, MEAN over H and W, a dense layer and SOFTMAX,
// with its labels zipped after it.
func Example() []byte {
	ramp := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(i%7-3) / 8
		}
		return v
	}
	q := make([]byte, 4*3*3*3)
	for i := range q {
		q[i] = byte(i * 37)
	}
	m := Model{
		Description: "fuzz seed",
		Tensors: []Tensor{
			{Name: "input", Shape: []int32{1, 8, 8, 3}, Type: Uint8, Scale: []float32{1.0 / 128}, Zero: []int64{128}},
			{Name: "w", Shape: []int32{4, 3, 3, 3}, Type: Int8, Data: q, Scale: []float32{0.01, 0.02, 0.03, 0.04}, Zero: []int64{0, 0, 0, 0}},
			{Name: "b", Shape: []int32{4}, Type: Int32, Data: Int32Data([]int32{1, -2, 3, -4})},
			{Name: "conv", Shape: []int32{1, 4, 4, 4}, Type: Float32},
			{Name: "dw", Shape: []int32{1, 3, 3, 4}, Type: Float32, Data: FloatData(ramp(36))},
			{Name: "features", Shape: []int32{1, 4, 4, 4}, Type: Float32},
			{Name: "axes", Shape: []int32{2}, Type: Int32, Data: Int32Data([]int32{1, 2})},
			{Name: "pooled", Shape: []int32{1, 4}, Type: Float32},
			{Name: "fw", Shape: []int32{3, 4}, Type: Float32, Data: FloatData(ramp(12))},
			{Name: "logits", Shape: []int32{1, 3}, Type: Float32},
			{Name: "probs", Shape: []int32{1, 3}, Type: Float32},
		},
		Ops: []Op{
			{Code: Conv2D, Inputs: []int32{0, 1, 2}, Outputs: []int32{3}, Options: Conv(Same, 2, ActRelu6)},
			{Code: DepthwiseConv2D, Inputs: []int32{3, 4, -1}, Outputs: []int32{5}, Options: Depthwise(Same, 1, 1, ActNone)},
			{Code: Mean, Inputs: []int32{5, 6}, Outputs: []int32{7}, Options: Reducer(false)},
			{Code: FullyConnected, Inputs: []int32{7, 8, -1}, Outputs: []int32{9}, Options: Dense(ActNone)},
			{Code: Softmax, Inputs: []int32{9}, Outputs: []int32{10}, Options: SoftmaxBeta(1)},
		},
		Inputs:  []int32{0},
		Outputs: []int32{10},
		Labels:  []byte("cat\ndog\nbird\n"),
	}
	return m.Bytes()
}
