package inference

import (
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
