package onnxwrite

import (
	"encoding/binary"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Unmarshal decodes ONNX bytes into a Model. It reads what Marshal writes
// (plus packed repeated integers and float_data tensors, as other writers
// produce them) and skips every other field; a tensor of another element
// type is an error.
func Unmarshal(b []byte) (*Model, error) {
	m := &Model{}
	err := eachField(b, func(num protowire.Number, f field) error {
		var err error
		switch num {
		case modelIRVersion:
			m.IRVersion = int64(f.v)
		case modelProducerName:
			m.ProducerName = string(f.b)
		case modelProducerVersion:
			m.ProducerVersion = string(f.b)
		case modelDocString:
			m.DocString = string(f.b)
		case modelGraph:
			err = m.Graph.unmarshal(f.b)
		case modelOpsetImport:
			var domain string
			var version int64
			err = eachField(f.b, func(num protowire.Number, f field) error {
				switch num {
				case opsetDomain:
					domain = string(f.b)
				case opsetVersion:
					version = int64(f.v)
				}
				return nil
			})
			if domain == "" || domain == "ai.onnx" {
				m.Opset = version
			}
		case modelMetadataProps:
			var kv KeyValue
			err = eachField(f.b, func(num protowire.Number, f field) error {
				switch num {
				case kvKey:
					kv.Key = string(f.b)
				case kvValue:
					kv.Value = string(f.b)
				}
				return nil
			})
			m.Metadata = append(m.Metadata, kv)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (g *Graph) unmarshal(b []byte) error {
	return eachField(b, func(num protowire.Number, f field) error {
		switch num {
		case graphNode:
			var n Node
			if err := n.unmarshal(f.b); err != nil {
				return err
			}
			g.Nodes = append(g.Nodes, n)
		case graphName:
			g.Name = string(f.b)
		case graphInitializer:
			var t Tensor
			if err := t.unmarshal(f.b); err != nil {
				return err
			}
			g.Initializers = append(g.Initializers, t)
		case graphInput, graphOutput:
			var v ValueInfo
			if err := v.unmarshal(f.b); err != nil {
				return err
			}
			if num == graphInput {
				g.Inputs = append(g.Inputs, v)
			} else {
				g.Outputs = append(g.Outputs, v)
			}
		}
		return nil
	})
}

func (n *Node) unmarshal(b []byte) error {
	return eachField(b, func(num protowire.Number, f field) error {
		switch num {
		case nodeInput:
			n.Inputs = append(n.Inputs, string(f.b))
		case nodeOutput:
			n.Outputs = append(n.Outputs, string(f.b))
		case nodeName:
			n.Name = string(f.b)
		case nodeOpType:
			n.OpType = string(f.b)
		case nodeAttribute:
			var a Attr
			err := eachField(f.b, func(num protowire.Number, f field) error {
				switch num {
				case attrName:
					a.Name = string(f.b)
				case attrF:
					a.Float = math.Float32frombits(uint32(f.v))
				case attrI:
					a.Int = int64(f.v)
				case attrInts:
					return f.varints(func(v uint64) { a.Ints = append(a.Ints, int64(v)) })
				case attrTypeF:
					a.Type = AttrType(f.v)
				}
				return nil
			})
			if err != nil {
				return err
			}
			n.Attrs = append(n.Attrs, a)
		}
		return nil
	})
}

func (t *Tensor) unmarshal(b []byte) error {
	dataType := uint64(0)
	var raw []byte
	var floats []float32
	err := eachField(b, func(num protowire.Number, f field) error {
		switch num {
		case tensorDims:
			return f.varints(func(v uint64) { t.Dims = append(t.Dims, int64(v)) })
		case tensorDataType:
			dataType = f.v
		case tensorName:
			t.Name = string(f.b)
		case tensorRawData:
			raw = f.b
		case 4: // float_data, packed or not
			if f.typ == protowire.Fixed32Type {
				floats = append(floats, math.Float32frombits(uint32(f.v)))
				return nil
			}
			if len(f.b)%4 != 0 {
				return fmt.Errorf("%w: float_data of %d bytes", ErrFormat, len(f.b))
			}
			for i := 0; i < len(f.b); i += 4 {
				floats = append(floats, math.Float32frombits(binary.LittleEndian.Uint32(f.b[i:])))
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if dataType != dataTypeFloat {
		return fmt.Errorf("%w: tensor %q has element type %d, only float32 (1) is read", ErrFormat, t.Name, dataType)
	}
	if raw != nil {
		if len(raw)%4 != 0 {
			return fmt.Errorf("%w: tensor %q raw_data of %d bytes", ErrFormat, t.Name, len(raw))
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
		return fmt.Errorf("%w: tensor %q dims %v but %d values", ErrFormat, t.Name, t.Dims, len(t.Data))
	}
	return nil
}

func (v *ValueInfo) unmarshal(b []byte) error {
	return eachField(b, func(num protowire.Number, f field) error {
		switch num {
		case valueName:
			v.Name = string(f.b)
		case valueType:
			return eachField(f.b, func(num protowire.Number, f field) error {
				if num != typeTensor {
					return nil
				}
				return eachField(f.b, func(num protowire.Number, f field) error {
					if num != tensorShape {
						return nil
					}
					return eachField(f.b, func(num protowire.Number, f field) error {
						if num != shapeDim {
							return nil
						}
						d, p := int64(-1), ""
						err := eachField(f.b, func(num protowire.Number, f field) error {
							switch num {
							case dimValue:
								d = int64(f.v)
							case dimParam:
								p = string(f.b)
							}
							return nil
						})
						v.Dims = append(v.Dims, d)
						v.Params = append(v.Params, p)
						return err
					})
				})
			})
		}
		return nil
	})
}

// field is one decoded protobuf field: v for varint and fixed types, b for
// length-delimited ones.
type field struct {
	typ protowire.Type
	v   uint64
	b   []byte
}

// varints calls fn for an unpacked varint or for each value of a packed run.
func (f field) varints(fn func(uint64)) error {
	if f.typ == protowire.VarintType {
		fn(f.v)
		return nil
	}
	if f.typ != protowire.BytesType {
		return fmt.Errorf("%w: repeated integer with wire type %d", ErrFormat, f.typ)
	}
	b := f.b
	for len(b) > 0 {
		v, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return fmt.Errorf("%w: %v", ErrFormat, protowire.ParseError(n))
		}
		fn(v)
		b = b[n:]
	}
	return nil
}

func eachField(b []byte, fn func(protowire.Number, field) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("%w: %v", ErrFormat, protowire.ParseError(n))
		}
		b = b[n:]
		f := field{typ: typ}
		switch typ {
		case protowire.VarintType:
			f.v, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var v uint32
			v, n = protowire.ConsumeFixed32(b)
			f.v = uint64(v)
		case protowire.Fixed64Type:
			f.v, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			f.b, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return fmt.Errorf("%w: field %d: %v", ErrFormat, num, protowire.ParseError(n))
		}
		b = b[n:]
		if err := fn(num, f); err != nil {
			return err
		}
	}
	return nil
}
