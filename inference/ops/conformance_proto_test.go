package ops_test

import (
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"camscope/inference/onnxpb"
)

// protoInfo is what the conformance test reads of a case's model file
// before loading it, through package onnxpb.
type protoInfo struct {
	opsets      map[string]int64 // "" (the default domain) -> version
	nodes       []protoNode
	inputs      []onnxpb.ValueInfo
	initializer map[string]bool
}

type protoNode struct{ opType string }

func parseProtoInfo(data []byte) (*protoInfo, error) {
	pm, err := onnxpb.Unmarshal(data, onnxpb.Structure)
	if err != nil {
		return nil, err
	}
	info := &protoInfo{opsets: map[string]int64{"": pm.Opset}, inputs: pm.Graph.Inputs, initializer: map[string]bool{}}
	for _, n := range pm.Graph.Nodes {
		info.nodes = append(info.nodes, protoNode{opType: n.OpType})
	}
	for _, t := range pm.Graph.Initializers {
		info.initializer[t.Name] = true
	}
	return info, nil
}

// fields calls fn for each field of the protobuf message in b.
func fields(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	return onnxpb.Fields(b, func(num protowire.Number, f onnxpb.Field) error { return fn(num, f.Type, f.Bytes, f.Int) })
}

// withOpset returns the model file data with its default-domain opset
// import set to version: a case of an operator unchanged since an opset
// older than the engine's oldest then loads as that oldest opset.
func withOpset(t *testing.T, data []byte, version int64) []byte {
	t.Helper()
	var out []byte
	err := onnxpb.Fields(data, func(num protowire.Number, f onnxpb.Field) error {
		if num != 8 || f.Type != protowire.BytesType { // ModelProto.opset_import
			out = appendField(out, num, f)
			return nil
		}
		var set []byte
		domain := ""
		err := onnxpb.Fields(f.Bytes, func(n protowire.Number, g onnxpb.Field) error {
			switch {
			case n == 1 && g.Type == protowire.BytesType:
				domain = string(g.Bytes)
			case n == 2 && g.Type == protowire.VarintType:
				return nil // the version, written below
			}
			set = appendField(set, n, g)
			return nil
		})
		if err != nil {
			return err
		}
		if domain != "" {
			out = appendField(out, num, f) // another domain's: as it was
			return nil
		}
		set = protowire.AppendTag(set, 2, protowire.VarintType)
		set = protowire.AppendVarint(set, uint64(version))
		out = protowire.AppendTag(out, 8, protowire.BytesType)
		out = protowire.AppendBytes(out, set)
		return nil
	})
	if err != nil {
		t.Fatalf("rewrite the opset import: %v", err)
	}
	return out
}

func appendField(b []byte, num protowire.Number, f onnxpb.Field) []byte {
	b = protowire.AppendTag(b, num, f.Type)
	switch f.Type {
	case protowire.VarintType:
		return protowire.AppendVarint(b, f.Int)
	case protowire.Fixed32Type:
		return protowire.AppendFixed32(b, uint32(f.Int))
	case protowire.Fixed64Type:
		return protowire.AppendFixed64(b, f.Int)
	default:
		return protowire.AppendBytes(b, f.Bytes)
	}
}
