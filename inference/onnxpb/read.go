package onnxpb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Part says how much of a file Unmarshal decodes.
type Part int

const (
	// Structure is everything but the values: the model's fields, its
	// default opset and metadata, the nodes without their attributes, the
	// inputs, outputs and shapes, and the initializers by name only. It
	// reads any ONNX file, whatever its element types.
	Structure Part = iota
	// Values adds the attributes and the initializers' values, as Marshal
	// writes them (and packed repeated integers and float_data tensors, as
	// other writers produce them); a tensor of another element type than
	// float32 is an error.
	Values
)

// Unmarshal decodes ONNX bytes into a Model, reading the part asked for and
// skipping every field this package does not know. Fields of the wrong wire
// type are skipped too, and a file without a graph is an error.
func Unmarshal(b []byte, part Part) (*Model, error) {
	m := &Model{}
	d := decoder{values: part == Values}
	sawGraph := false
	err := Fields(b, func(num protowire.Number, f Field) error {
		switch {
		case num == modelIRVersion && f.IsVarint():
			m.IRVersion = int64(f.Int)
		case !f.IsBytes():
		case num == modelProducerName:
			m.ProducerName = string(f.Bytes)
		case num == modelProducerVersion:
			m.ProducerVersion = string(f.Bytes)
		case num == modelDocString:
			m.DocString = string(f.Bytes)
		case num == modelGraph:
			sawGraph = true
			return d.graph(&m.Graph, f.Bytes)
		case num == modelOpsetImport:
			var domain string
			var version int64
			err := Fields(f.Bytes, func(num protowire.Number, f Field) error {
				if num == opsetDomain && f.IsBytes() {
					domain = string(f.Bytes)
				} else if num == opsetVersion && f.IsVarint() {
					version = int64(f.Int)
				}
				return nil
			})
			if domain == "" || domain == "ai.onnx" {
				m.Opset = version
			}
			return err
		case num == modelMetadataProps:
			var kv KeyValue
			err := Fields(f.Bytes, func(num protowire.Number, f Field) error {
				if num == kvKey && f.IsBytes() {
					kv.Key = string(f.Bytes)
				} else if num == kvValue && f.IsBytes() {
					kv.Value = string(f.Bytes)
				}
				return nil
			})
			m.Metadata = append(m.Metadata, kv)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !sawGraph {
		return nil, errors.New("it has no graph")
	}
	return m, nil
}

// decoder reads the messages inside a ModelProto; values says whether it
// reads attributes and tensor values (Values) or skips them (Structure).
type decoder struct{ values bool }

func (d decoder) graph(g *Graph, b []byte) error {
	return Fields(b, func(num protowire.Number, f Field) error {
		if !f.IsBytes() {
			return nil
		}
		switch num {
		case graphNode:
			var n Node
			if err := d.node(&n, f.Bytes); err != nil {
				return err
			}
			g.Nodes = append(g.Nodes, n)
		case graphName:
			g.Name = string(f.Bytes)
		case graphInitializer:
			var t Tensor
			if err := d.tensor(&t, f.Bytes); err != nil {
				return err
			}
			g.Initializers = append(g.Initializers, t)
		case graphInput, graphOutput, graphValueInfo:
			var v ValueInfo
			if err := v.unmarshal(f.Bytes); err != nil {
				return err
			}
			switch num {
			case graphInput:
				g.Inputs = append(g.Inputs, v)
			case graphOutput:
				g.Outputs = append(g.Outputs, v)
			default:
				g.ValueInfo = append(g.ValueInfo, v)
			}
		}
		return nil
	})
}

func (d decoder) node(n *Node, b []byte) error {
	return Fields(b, func(num protowire.Number, f Field) error {
		if !f.IsBytes() {
			return nil
		}
		switch num {
		case nodeInput:
			n.Inputs = append(n.Inputs, string(f.Bytes))
		case nodeOutput:
			n.Outputs = append(n.Outputs, string(f.Bytes))
		case nodeName:
			n.Name = string(f.Bytes)
		case nodeOpType:
			n.OpType = string(f.Bytes)
		case nodeDomain:
			n.Domain = string(f.Bytes)
		case nodeAttribute:
			if !d.values {
				return nil
			}
			var a Attr
			if err := a.unmarshal(f.Bytes); err != nil {
				return err
			}
			n.Attrs = append(n.Attrs, a)
		}
		return nil
	})
}

func (a *Attr) unmarshal(b []byte) error {
	return Fields(b, func(num protowire.Number, f Field) error {
		switch num {
		case attrName:
			a.Name = string(f.Bytes)
		case attrF:
			a.Float = math.Float32frombits(uint32(f.Int))
		case attrI:
			a.Int = int64(f.Int)
		case attrInts:
			return f.Varints(func(v uint64) { a.Ints = append(a.Ints, int64(v)) })
		case attrTypeF:
			a.Type = AttrType(f.Int)
		}
		return nil
	})
}

// tensor reads an initializer: its name and whether its values are in
// another file only, unless d reads values.
func (d decoder) tensor(t *Tensor, b []byte) error {
	if !d.values {
		return Fields(b, func(num protowire.Number, f Field) error {
			if num == tensorName && f.IsBytes() {
				t.Name = string(f.Bytes)
			} else if num == tensorLocation && f.IsVarint() {
				t.External = f.Int == 1
			}
			return nil
		})
	}
	dataType := uint64(0)
	var raw []byte
	var floats []float32
	err := Fields(b, func(num protowire.Number, f Field) error {
		switch num {
		case tensorDims:
			return f.Varints(func(v uint64) { t.Dims = append(t.Dims, int64(v)) })
		case tensorDataType:
			dataType = f.Int
		case tensorName:
			t.Name = string(f.Bytes)
		case tensorRawData:
			raw = f.Bytes
		case tensorFloatData: // packed or not
			if f.Type == protowire.Fixed32Type {
				floats = append(floats, math.Float32frombits(uint32(f.Int)))
				return nil
			}
			if len(f.Bytes)%4 != 0 {
				return fmt.Errorf("float_data of %d bytes", len(f.Bytes))
			}
			for i := 0; i < len(f.Bytes); i += 4 {
				floats = append(floats, math.Float32frombits(binary.LittleEndian.Uint32(f.Bytes[i:])))
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if dataType != ElemFloat {
		return fmt.Errorf("tensor %q has element type %d, only float32 (1) is read", t.Name, dataType)
	}
	if raw != nil {
		if len(raw)%4 != 0 {
			return fmt.Errorf("tensor %q raw_data of %d bytes", t.Name, len(raw))
		}
		floats = make([]float32, len(raw)/4)
		for i := range floats {
			floats[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	}
	t.Data = floats
	n := int64(1)
	for _, d := range t.Dims {
		n *= d
	}
	if n != int64(len(t.Data)) {
		return fmt.Errorf("tensor %q dims %v but %d values", t.Name, t.Dims, len(t.Data))
	}
	return nil
}

func (v *ValueInfo) unmarshal(b []byte) error {
	return Fields(b, func(num protowire.Number, f Field) error {
		if !f.IsBytes() {
			return nil
		}
		switch num {
		case valueName:
			v.Name = string(f.Bytes)
		case valueType: // TypeProto
			return Fields(f.Bytes, func(num protowire.Number, f Field) error {
				if num != typeTensor || !f.IsBytes() {
					return nil
				}
				return Fields(f.Bytes, func(num protowire.Number, f Field) error {
					switch {
					case num == tensorElemType && f.IsVarint():
						v.ElemType = int32(f.Int)
					case num == tensorShape && f.IsBytes():
						return Fields(f.Bytes, func(num protowire.Number, f Field) error {
							if num != shapeDim || !f.IsBytes() {
								return nil
							}
							d, p := int64(-1), ""
							err := Fields(f.Bytes, func(num protowire.Number, f Field) error {
								if num == dimValue && f.IsVarint() {
									d = int64(f.Int)
								} else if num == dimParam && f.IsBytes() {
									p = string(f.Bytes)
								}
								return nil
							})
							v.Dims = append(v.Dims, d)
							v.Params = append(v.Params, p)
							return err
						})
					}
					return nil
				})
			})
		}
		return nil
	})
}
