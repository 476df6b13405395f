package inference

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// protoInfo is what the engine reads from an ONNX file besides the graph that
// onnx-go decodes: model-level fields (opsets, metadata) and what onnx-go
// drops (node names and domains, symbolic input dimensions). It is read with
// a small protowire walk over the ModelProto fields named in onnx.proto.
type protoInfo struct {
	irVersion   int64
	opsets      map[string]int64 // domain ("" is the default) -> version
	producer    string
	metadata    map[string]string
	graphName   string
	nodes       []protoNode
	inputs      []valueInfo
	outputs     []valueInfo
	valueInfos  []valueInfo
	initializer map[string]bool
}

type protoNode struct {
	name, opType, domain string
	inputs, outputs      []string
}

// valueInfo describes a graph input or output. A dimension is -1 when it is
// symbolic (its name is in DimParams) or missing.
type valueInfo struct {
	Name      string
	ElemType  int32
	Dims      []int
	DimParams []string
}

// fields calls fn for each field of the protobuf message in b.
func fields(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var y uint32
			y, n = protowire.ConsumeFixed32(b)
			x = uint64(y)
		case protowire.Fixed64Type:
			x, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := fn(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}

func parseProtoInfo(b []byte) (*protoInfo, error) {
	info := &protoInfo{opsets: map[string]int64{}, metadata: map[string]string{}, initializer: map[string]bool{}}
	sawGraph := false
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch {
		case num == 1 && typ == protowire.VarintType:
			info.irVersion = int64(x)
		case num == 2 && typ == protowire.BytesType:
			info.producer = string(v)
		case num == 8 && typ == protowire.BytesType:
			var domain string
			var version int64
			err := fields(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
				if num == 1 && typ == protowire.BytesType {
					domain = string(v)
				} else if num == 2 && typ == protowire.VarintType {
					version = int64(x)
				}
				return nil
			})
			if err != nil {
				return err
			}
			if domain == "ai.onnx" {
				domain = ""
			}
			info.opsets[domain] = version
		case num == 14 && typ == protowire.BytesType:
			var key, value string
			err := fields(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
				if typ == protowire.BytesType && num == 1 {
					key = string(v)
				} else if typ == protowire.BytesType && num == 2 {
					value = string(v)
				}
				return nil
			})
			if err != nil {
				return err
			}
			info.metadata[key] = value
		case num == 7 && typ == protowire.BytesType:
			sawGraph = true
			return info.parseGraph(v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !sawGraph {
		return nil, fmt.Errorf("it has no graph")
	}
	return info, nil
}

func (info *protoInfo) parseGraph(b []byte) error {
	return fields(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			var n protoNode
			err := fields(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
				if typ != protowire.BytesType {
					return nil
				}
				switch num {
				case 1:
					n.inputs = append(n.inputs, string(v))
				case 2:
					n.outputs = append(n.outputs, string(v))
				case 3:
					n.name = string(v)
				case 4:
					n.opType = string(v)
				case 7:
					n.domain = string(v)
				}
				return nil
			})
			if err != nil {
				return err
			}
			info.nodes = append(info.nodes, n)
		case 2:
			info.graphName = string(v)
		case 5:
			return fields(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
				if num == 8 && typ == protowire.BytesType {
					info.initializer[string(v)] = true
				}
				return nil
			})
		case 11, 12, 13:
			vi, err := parseValueInfo(v)
			if err != nil {
				return err
			}
			switch num {
			case 11:
				info.inputs = append(info.inputs, vi)
			case 12:
				info.outputs = append(info.outputs, vi)
			default:
				info.valueInfos = append(info.valueInfos, vi)
			}
		}
		return nil
	})
}

func parseValueInfo(b []byte) (valueInfo, error) {
	var vi valueInfo
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			vi.Name = string(v)
		case 2: // TypeProto
			return fields(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
				if num != 1 || typ != protowire.BytesType { // tensor_type
					return nil
				}
				return fields(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
					switch {
					case num == 1 && typ == protowire.VarintType:
						vi.ElemType = int32(x)
					case num == 2 && typ == protowire.BytesType: // TensorShapeProto
						return fields(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
							if num != 1 || typ != protowire.BytesType {
								return nil
							}
							dim, param := -1, ""
							err := fields(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
								if num == 1 && typ == protowire.VarintType {
									dim = int(int64(x))
								} else if num == 2 && typ == protowire.BytesType {
									param = string(v)
								}
								return nil
							})
							vi.Dims = append(vi.Dims, dim)
							vi.DimParams = append(vi.DimParams, param)
							return err
						})
					}
					return nil
				})
			})
		}
		return nil
	})
	return vi, err
}
