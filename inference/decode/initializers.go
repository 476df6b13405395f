package decode

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"

	"camscope/inference/onnxpb"
	"camscope/inference/tensor"
)

// The weights are read here, straight from the file's bytes into arrays of
// their exact size, and not by onnx-go's decoder: it copies every
// initializer's raw_data into a protobuf message and then grows a slice
// one value at a time from it, which for ResNet-18 (46.7 MB of weights)
// allocated 280 MB and left each array up to a quarter larger than its
// values. splitInitializers hands onnx-go the file without the
// initializers' values; it reads the rest (nodes, attributes, names).

// Field numbers of TensorProto's values, beyond those in tensors.go.
const (
	tensorDims       = 1
	tensorSegment    = 3
	tensorFloatData  = 4
	tensorInt64Data  = 7
	tensorDoubleData = 10
	tensorUint64Data = 11
)

// splitInitializers decodes every initializer of the model's main graph
// (data as readable returns it: bools and the small integer types as
// INT32) and returns them with the model's bytes without their values.
// The values decoded together may take at most limit bytes, checked before
// each array is allocated.
func splitInitializers(data []byte, limit int64) (map[string]*tensor.Tensor, []byte, error) {
	consts := map[string]*tensor.Tensor{}
	var total int64
	out, err := rewriteFields(data, func(num protowire.Number, f onnxpb.Field) ([]byte, bool, error) {
		if num != modelGraph || !f.IsBytes() {
			return nil, false, nil
		}
		sub, err := rewriteFields(f.Bytes, func(num protowire.Number, f onnxpb.Field) ([]byte, bool, error) {
			if num != graphInitializer || !f.IsBytes() {
				return nil, false, nil
			}
			name, t, err := initializer(f.Bytes, limit-total)
			if err != nil {
				return nil, false, err
			}
			total += 4*int64(len(t.F)) + 8*int64(len(t.I))
			if name != "" {
				consts[name] = t
			}
			sub, err := rewriteFields(f.Bytes, func(num protowire.Number, _ onnxpb.Field) ([]byte, bool, error) {
				switch num {
				case tensorRawData, tensorFloatData, tensorInt32Data, tensorInt64Data, tensorDoubleData, tensorUint64Data:
					return nil, true, nil
				}
				return nil, false, nil
			})
			return message(num, sub, err)
		})
		return message(num, sub, err)
	})
	if err != nil {
		return nil, nil, err
	}
	if out == nil {
		out = data
	}
	return consts, out, nil
}

// initializer decodes one TensorProto of type FLOAT, DOUBLE (read as
// float32), INT32 or INT64 (read as int64), with its values in raw_data or
// in the typed field, packed or not. An array over limit bytes is refused
// before it is allocated.
func initializer(b []byte, limit int64) (string, *tensor.Tensor, error) {
	var name string
	var dims []int64
	var dt uint64
	var raw []byte
	var typed []numbered // the fields of the typed values, with their numbers
	hasRaw, segmented := false, false
	err := onnxpb.Fields(b, func(num protowire.Number, f onnxpb.Field) error {
		switch num {
		case tensorDims:
			return f.Varints(func(v uint64) { dims = append(dims, int64(v)) })
		case tensorDataType:
			dt = f.Int
		case tensorName:
			name = string(f.Bytes)
		case tensorSegment:
			segmented = true
		case tensorRawData:
			raw, hasRaw = f.Bytes, true
		case tensorFloatData, tensorInt32Data, tensorInt64Data, tensorDoubleData:
			typed = append(typed, numbered{num, f})
		}
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	what := fmt.Sprintf("initializer %q", name)
	if segmented {
		return "", nil, fmt.Errorf("%w: %s is split into segments, which CAMscope does not read", ErrNotONNX, what)
	}
	size, held := map[uint64]int{1: 4, 6: 4, 7: 8, 11: 8}[dt], map[uint64]int64{1: 4, 6: 8, 7: 8, 11: 4}[dt]
	if size == 0 {
		return "", nil, fmt.Errorf("%w: %s has element type %s, which CAMscope cannot read", ErrNotONNX, what, elemTypeName(dt))
	}
	shape := make([]int, len(dims))
	want := int64(1)
	for i, d := range dims {
		if d < 0 || d > int64(len(b)) {
			return "", nil, fmt.Errorf("%w: %s has dimension %d, which no array of its values can have", ErrNotONNX, what, d)
		}
		shape[i] = int(d)
		if want = want * d; want > int64(len(b)) {
			// Every value takes at least a byte of the file.
			return "", nil, fmt.Errorf("%w: %s has shape %v, more values than its %d bytes can hold", ErrNotONNX, what, dims, len(b))
		}
	}
	var n int64
	if hasRaw {
		if len(raw)%size != 0 {
			return "", nil, fmt.Errorf("%w: %s has %d bytes of raw data for %s values of %d bytes", ErrNotONNX, what, len(raw), elemTypeName(dt), size)
		}
		n = int64(len(raw) / size)
	} else {
		typed = slices.DeleteFunc(typed, func(f numbered) bool { return f.num != typedField[dt] })
		for _, f := range typed {
			c, err := countValues(f, size)
			if err != nil {
				return "", nil, fmt.Errorf("%w: %s: %v", ErrNotONNX, what, err)
			}
			n += c
		}
	}
	if n != want {
		return "", nil, fmt.Errorf("%w: %s has shape %v (%d values) but holds %d values", ErrNotONNX, what, dims, want, n)
	}
	if bytes := held * n; bytes > limit {
		return "", nil, fmt.Errorf("%w: %s takes %s, over what is left of the limit (%s)", ErrTooLarge, what, tensor.FormatBytes(bytes), tensor.FormatBytes(max(limit, 0)))
	}
	t := &tensor.Tensor{Shape: shape}
	if len(dims) == 0 {
		t.Shape = nil
	}
	if dt == 1 || dt == 11 {
		t.F = make([]float32, n)
	} else {
		t.DType, t.I = tensor.Int64, make([]int64, n)
	}
	if hasRaw {
		rb := raw
		for i := range n {
			switch dt {
			case 1:
				t.F[i] = math.Float32frombits(binary.LittleEndian.Uint32(rb[4*i:]))
			case 11:
				t.F[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(rb[8*i:])))
			case 6:
				t.I[i] = int64(int32(binary.LittleEndian.Uint32(rb[4*i:])))
			default:
				t.I[i] = int64(binary.LittleEndian.Uint64(rb[8*i:]))
			}
		}
		return name, t, nil
	}
	i := 0
	for _, f := range typed {
		put := func(v uint64) {
			switch dt {
			case 1:
				t.F[i] = math.Float32frombits(uint32(v))
			case 11:
				t.F[i] = float32(math.Float64frombits(v))
			case 6:
				t.I[i] = int64(int32(v))
			default:
				t.I[i] = int64(v)
			}
			i++
		}
		if err := eachValue(f, size, put); err != nil {
			return "", nil, fmt.Errorf("%w: %s: %v", ErrNotONNX, what, err)
		}
	}
	return name, t, nil
}

// numbered is a field with its number.
type numbered struct {
	num protowire.Number
	onnxpb.Field
}

// typedField is the field that holds the values of each element type read
// when it has no raw_data.
var typedField = map[uint64]protowire.Number{1: tensorFloatData, 6: tensorInt32Data, 7: tensorInt64Data, 11: tensorDoubleData}

// countValues is the number of values in one field of a repeated numeric
// field: one unpacked value, or a packed run of fixed-size floats (size
// 4 or 8) or varints.
func countValues(f numbered, size int) (int64, error) {
	var n int64
	err := eachValue(f, size, func(uint64) { n++ })
	return n, err
}

// eachValue calls fn with each value of a field of float_data (fixed32),
// double_data (fixed64), or int32_data or int64_data (varints), packed or
// not.
func eachValue(f numbered, size int, fn func(uint64)) error {
	fixed := f.num == tensorFloatData || f.num == tensorDoubleData
	if !f.IsBytes() {
		fn(f.Int)
		return nil
	}
	if !fixed {
		return f.Varints(fn)
	}
	if len(f.Bytes)%size != 0 {
		return fmt.Errorf("a packed run of %d bytes for values of %d bytes", len(f.Bytes), size)
	}
	for j := 0; j < len(f.Bytes); j += size {
		if size == 4 {
			fn(uint64(binary.LittleEndian.Uint32(f.Bytes[j:])))
		} else {
			fn(binary.LittleEndian.Uint64(f.Bytes[j:]))
		}
	}
	return nil
}
