// Command rebatch writes a copy of an ONNX model that other engines can run
// at any batch size, for the side-by-side timing of tools/ortbench: the
// graph's inputs and outputs get a symbolic first dimension "N", a
// Reshape target given as a constant with a leading 1 (PyTorch's flatten
// to [1,-1], a transformer's [1,T,...]) gets a leading 0 (ONNX: copy the
// input's first dimension), and the inner shape annotations (value_info),
// which say batch 1, are dropped. With -batch N, a constant with a leading
// 1 that a Where or an Expand reads gets a leading N (torchvision's ViT
// expands its class token to a batch traced as the constant 1), and the
// Reshape targets of torchvision's attention, which hold the batch of 1
// inside a dimension, get a -1 there (see retarget). Every
// other byte of the model is kept. It is not part of the program or its
// tests.
//
//	go run ./tools/rebatch [-batch N] IN.onnx OUT.onnx
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"

	"camscope/inference/onnxpb"
)

// Field numbers of onnx.proto used here.
const (
	modelGraph       = 7
	graphNode        = 1
	graphInitializer = 5
	graphInput       = 11
	graphOutput      = 12
	graphValueInfo   = 13
	nodeInput        = 1
	nodeOutput       = 2
	nodeOpType       = 4
	nodeAttribute    = 5
	attrName         = 1
	attrTensor       = 5
	tensorDataType   = 2
	tensorInt64Data  = 7
	tensorName       = 8
	tensorRawData    = 9
	valueType        = 2
	typeTensor       = 1
	tensorShape      = 2
	shapeDim         = 1
	dimParam         = 2
	elemInt64        = 7
)

func main() {
	batch := flag.Int64("batch", 0, "the batch to write into the constants a Where or an Expand reads (0: leave them)")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run ./tools/rebatch [-batch N] IN.onnx OUT.onnx")
		os.Exit(2)
	}
	in, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fail(err)
	}
	out, err := onnxpb.Edit(in, func(num protowire.Number, f onnxpb.Field) ([]byte, bool, error) {
		if num == modelGraph && f.IsBytes() {
			g, err := graph(f.Bytes, *batch)
			return g, true, err
		}
		return nil, false, nil
	})
	if err != nil {
		fail(fmt.Errorf("%s: %w", flag.Arg(0), err))
	}
	if err := os.WriteFile(flag.Arg(1), out, 0o644); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "rebatch:", err)
	os.Exit(1)
}

// graph rewrites the graph's inputs, outputs and the constants of
// Reshape targets (and with batch, those a Where or an Expand reads), and
// drops its value_info.
func graph(b []byte, batch int64) ([]byte, error) {
	targets := map[string]shapeConst{} // shape constants by name
	err := onnxpb.Fields(b, func(num protowire.Number, f onnxpb.Field) error {
		if num != graphNode || !f.IsBytes() {
			return nil
		}
		var op string
		var inputs []string
		err := onnxpb.Fields(f.Bytes, func(num protowire.Number, f onnxpb.Field) error {
			switch {
			case num == nodeOpType && f.IsBytes():
				op = string(f.Bytes)
			case num == nodeInput && f.IsBytes():
				inputs = append(inputs, string(f.Bytes))
			}
			return nil
		})
		switch {
		case op == "Reshape" && len(inputs) == 2:
			targets[inputs[1]] = shapeConst{reshape: true, batch: batch}
		case batch > 0 && (op == "Where" || op == "Expand"):
			for _, in := range inputs {
				targets[in] = shapeConst{batch: batch}
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return onnxpb.Edit(b, func(num protowire.Number, f onnxpb.Field) ([]byte, bool, error) {
		switch {
		case !f.IsBytes():
		case num == graphValueInfo:
			return nil, true, nil
		case num == graphInput || num == graphOutput:
			v, err := valueInfo(f.Bytes)
			return v, true, err
		case num == graphInitializer:
			t, err := target(f.Bytes, targets, "")
			return t, true, err
		case num == graphNode:
			n, err := constantNode(f.Bytes, targets)
			return n, true, err
		}
		return nil, false, nil
	})
}

// valueInfo makes the first dimension of a graph input or output "N".
func valueInfo(b []byte) ([]byte, error) {
	return onnxpb.Edit(b, func(num protowire.Number, f onnxpb.Field) ([]byte, bool, error) {
		if num != valueType || !f.IsBytes() {
			return nil, false, nil
		}
		t, err := onnxpb.Edit(f.Bytes, func(num protowire.Number, f onnxpb.Field) ([]byte, bool, error) {
			if num != typeTensor || !f.IsBytes() {
				return nil, false, nil
			}
			tt, err := onnxpb.Edit(f.Bytes, func(num protowire.Number, f onnxpb.Field) ([]byte, bool, error) {
				if num != tensorShape || !f.IsBytes() {
					return nil, false, nil
				}
				first := true
				s, err := onnxpb.Edit(f.Bytes, func(num protowire.Number, f onnxpb.Field) ([]byte, bool, error) {
					if num != shapeDim || !first {
						return nil, false, nil
					}
					first = false
					dim := protowire.AppendTag(nil, dimParam, protowire.BytesType)
					return protowire.AppendString(dim, "N"), true, nil
				})
				return s, true, err
			})
			return tt, true, err
		})
		return t, true, err
	})
}

// constantNode rewrites the value of a Constant node that computes a
// Reshape target.
func constantNode(b []byte, targets map[string]shapeConst) ([]byte, error) {
	var out string
	err := onnxpb.Fields(b, func(num protowire.Number, f onnxpb.Field) error {
		if num == nodeOutput && f.IsBytes() {
			out = string(f.Bytes)
		}
		return nil
	})
	if _, ok := targets[out]; err != nil || !ok {
		return b, err
	}
	return onnxpb.Edit(b, func(num protowire.Number, f onnxpb.Field) ([]byte, bool, error) {
		if num != nodeAttribute || !f.IsBytes() {
			return nil, false, nil
		}
		a, err := onnxpb.Edit(f.Bytes, func(num protowire.Number, f onnxpb.Field) ([]byte, bool, error) {
			if num != attrTensor || !f.IsBytes() {
				return nil, false, nil
			}
			t, err := target(f.Bytes, targets, out)
			return t, true, err
		})
		return a, true, err
	})
}

// target rewrites an int64 constant named in targets (see retarget);
// name is the tensor's name when its message does not carry it (a
// Constant's value).
func target(b []byte, targets map[string]shapeConst, name string) ([]byte, error) {
	isInt64 := false
	err := onnxpb.Fields(b, func(num protowire.Number, f onnxpb.Field) error {
		switch {
		case num == tensorName && f.IsBytes():
			name = string(f.Bytes)
		case num == tensorDataType && f.IsVarint():
			isInt64 = f.Int == elemInt64
		}
		return nil
	})
	t, ok := targets[name]
	if err != nil || !ok || !isInt64 {
		return b, err
	}
	return onnxpb.Edit(b, func(num protowire.Number, f onnxpb.Field) ([]byte, bool, error) {
		switch {
		case num == tensorRawData && f.IsBytes() && len(f.Bytes)%8 == 0:
			vals := make([]int64, len(f.Bytes)/8)
			for i := range vals {
				vals[i] = int64(binary.LittleEndian.Uint64(f.Bytes[8*i:]))
			}
			var raw []byte
			for _, v := range t.retarget(vals) {
				raw = binary.LittleEndian.AppendUint64(raw, uint64(v))
			}
			return raw, true, nil
		case num == tensorInt64Data && f.IsBytes():
			var vals []int64
			err := f.Varints(func(v uint64) { vals = append(vals, int64(v)) })
			var packed []byte
			for _, v := range t.retarget(vals) {
				packed = protowire.AppendVarint(packed, uint64(v))
			}
			return packed, true, err
		}
		return nil, false, nil
	})
}

// shapeConst is how a shape constant changes for a batch.
type shapeConst struct {
	reshape bool  // a Reshape's target; else a Where's or an Expand's input
	batch   int64 // -batch
}

// retarget returns the new values of a shape constant: a Reshape target
// with a leading 1 gets 0 (copy the first dimension); with -batch, one
// without -1 gets -1 where the batch hides in torchvision's attention,
// [T, N*heads, D] (the middle of 3 dimensions) and [T*N, C] (the first of
// 2); a Where's or Expand's constant with a leading 1 gets the batch.
func (t shapeConst) retarget(v []int64) []int64 {
	v = append([]int64(nil), v...)
	switch {
	case len(v) < 2:
	case v[0] == 1 && t.reshape:
		v[0] = 0
	case v[0] == 1 && t.batch > 0:
		v[0] = t.batch
	case t.reshape && t.batch > 0 && !slices.Contains(v, -1) && len(v) == 3:
		v[1] = -1
	case t.reshape && t.batch > 0 && !slices.Contains(v, -1) && len(v) == 2:
		v[0] = -1
	}
	return v
}
