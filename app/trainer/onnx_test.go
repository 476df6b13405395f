package trainer

import (
	"encoding/binary"
	"math"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"camscope/app/shapes"
)

// The test reads the exported bytes with its own minimal protobuf walk and
// runs them with a direct-loop forward pass that follows the node list, so
// that neither onnxpb's reader nor Params.Forward vouches for itself.

type refNode struct {
	op      string
	inputs  []string
	outputs []string
	ints    map[string][]int64
}

type refModel struct {
	nodes   []refNode
	weights map[string][]float32
	dims    map[string][]int64
	meta    map[string]string
}

func refFields(t *testing.T, b []byte, fn func(num protowire.Number, v uint64, b []byte)) {
	t.Helper()
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("bad tag: %v", protowire.ParseError(n))
		}
		b = b[n:]
		var v uint64
		var sub []byte
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var x uint32
			x, n = protowire.ConsumeFixed32(b)
			v = uint64(x)
		case protowire.BytesType:
			sub, n = protowire.ConsumeBytes(b)
		default:
			t.Fatalf("unexpected wire type %d", typ)
		}
		if n < 0 {
			t.Fatalf("bad field %d: %v", num, protowire.ParseError(n))
		}
		b = b[n:]
		fn(num, v, sub)
	}
}

func readRef(t *testing.T, b []byte) *refModel {
	m := &refModel{weights: map[string][]float32{}, dims: map[string][]int64{}, meta: map[string]string{}}
	refFields(t, b, func(num protowire.Number, _ uint64, b []byte) {
		switch num {
		case 14: // metadata_props
			var k, v string
			refFields(t, b, func(num protowire.Number, _ uint64, b []byte) {
				if num == 1 {
					k = string(b)
				} else if num == 2 {
					v = string(b)
				}
			})
			m.meta[k] = v
		case 7: // graph
			refFields(t, b, func(num protowire.Number, _ uint64, b []byte) {
				switch num {
				case 1: // node
					n := refNode{ints: map[string][]int64{}}
					refFields(t, b, func(num protowire.Number, _ uint64, b []byte) {
						switch num {
						case 1:
							n.inputs = append(n.inputs, string(b))
						case 2:
							n.outputs = append(n.outputs, string(b))
						case 4:
							n.op = string(b)
						case 5: // attribute: name 1, i 3, ints 8
							var name string
							var vals []int64
							refFields(t, b, func(num protowire.Number, v uint64, _ []byte) {
								switch num {
								case 3, 8:
									vals = append(vals, int64(v))
								}
							})
							refFields(t, b, func(num protowire.Number, _ uint64, b []byte) {
								if num == 1 {
									name = string(b)
								}
							})
							n.ints[name] = vals
						}
					})
					m.nodes = append(m.nodes, n)
				case 5: // initializer: dims 1, name 8, raw_data 9
					var name string
					var dims []int64
					var raw []byte
					refFields(t, b, func(num protowire.Number, v uint64, b []byte) {
						switch num {
						case 1:
							dims = append(dims, int64(v))
						case 8:
							name = string(b)
						case 9:
							raw = b
						}
					})
					w := make([]float32, len(raw)/4)
					for i := range w {
						w[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
					}
					m.weights[name], m.dims[name] = w, dims
				}
			})
		}
	})
	return m
}

// refRun evaluates the graph on one [1,3,S,S] input with direct loops.
func refRun(t *testing.T, m *refModel, x []float32, size int) []float32 {
	type val struct {
		c, h, w int
		d       []float32
	}
	vals := map[string]val{"input": {3, size, size, x}}
	var last []float32
	for _, n := range m.nodes {
		in := vals[n.inputs[0]]
		var out val
		switch n.op {
		case "Conv":
			w, b, wd := m.weights[n.inputs[1]], m.weights[n.inputs[2]], m.dims[n.inputs[1]]
			co, k, p := int(wd[0]), int(wd[2]), int(n.ints["pads"][0])
			out = val{co, in.h, in.w, make([]float32, co*in.h*in.w)}
			for o := 0; o < co; o++ {
				for y := 0; y < in.h; y++ {
					for xx := 0; xx < in.w; xx++ {
						s := float64(b[o])
						for ci := 0; ci < in.c; ci++ {
							for ky := 0; ky < k; ky++ {
								for kx := 0; kx < k; kx++ {
									iy, ix := y+ky-p, xx+kx-p
									if iy < 0 || ix < 0 || iy >= in.h || ix >= in.w {
										continue
									}
									s += float64(w[((o*in.c+ci)*k+ky)*k+kx]) * float64(in.d[(ci*in.h+iy)*in.w+ix])
								}
							}
						}
						out.d[(o*in.h+y)*in.w+xx] = float32(s)
					}
				}
			}
		case "Relu":
			out = val{in.c, in.h, in.w, make([]float32, len(in.d))}
			for i, v := range in.d {
				out.d[i] = float32(math.Max(0, float64(v)))
			}
		case "MaxPool":
			k := int(n.ints["kernel_shape"][0])
			out = val{in.c, in.h / k, in.w / k, make([]float32, len(in.d)/(k*k))}
			for c := 0; c < in.c; c++ {
				for y := 0; y < out.h; y++ {
					for xx := 0; xx < out.w; xx++ {
						best := float32(math.Inf(-1))
						for dy := 0; dy < k; dy++ {
							for dx := 0; dx < k; dx++ {
								best = max(best, in.d[(c*in.h+y*k+dy)*in.w+xx*k+dx])
							}
						}
						out.d[(c*out.h+y)*out.w+xx] = best
					}
				}
			}
		case "GlobalAveragePool":
			out = val{in.c, 1, 1, make([]float32, in.c)}
			for c := 0; c < in.c; c++ {
				s := 0.0
				for _, v := range in.d[c*in.h*in.w : (c+1)*in.h*in.w] {
					s += float64(v)
				}
				out.d[c] = float32(s / float64(in.h*in.w))
			}
		case "Flatten":
			out = val{len(in.d), 1, 1, in.d}
		case "Gemm":
			w, b, wd := m.weights[n.inputs[1]], m.weights[n.inputs[2]], m.dims[n.inputs[1]]
			if n.ints["transB"] == nil || n.ints["transB"][0] != 1 {
				t.Fatal("Gemm without transB=1")
			}
			out = val{int(wd[0]), 1, 1, make([]float32, wd[0])}
			for o := range out.d {
				s := float64(b[o])
				for i := 0; i < int(wd[1]); i++ {
					s += float64(w[o*int(wd[1])+i]) * float64(in.d[i])
				}
				out.d[o] = float32(s)
			}
		default:
			t.Fatalf("reference forward has no %s", n.op)
		}
		vals[n.outputs[0]] = out
		last = out.d
	}
	return last
}

// checkExport compares the gorgonia graph built from p with the reference
// forward pass over p's exported ONNX bytes, on a few generated scenes.
func checkExport(t *testing.T, p *Params, onnxBytes []byte, scenes int) {
	t.Helper()
	ref := readRef(t, onnxBytes)
	s := p.Arch.Size
	n, err := newNet(p, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < scenes; i++ {
		b := makeBatch(p.Arch, 4242, uint64(i), 1, shapes.Options{Size: s})
		_, got, err := n.step(b.x, b.onehot)
		if err != nil {
			t.Fatal(err)
		}
		want := refRun(t, ref, b.x, s)
		scale := 0.0
		for _, v := range want {
			scale = math.Max(scale, math.Abs(float64(v)))
		}
		for c := range want {
			if d := math.Abs(float64(got[c] - want[c])); d > 1e-4*math.Max(1, scale) {
				t.Fatalf("scene %d class %d: gorgonia logit %v, reference over the ONNX bytes %v", i, c, got[c], want[c])
			}
		}
		_, fwd := p.Forward(b.x)
		for c := range want {
			if d := math.Abs(float64(fwd[c] - want[c])); d > 1e-4*math.Max(1, scale) {
				t.Fatalf("scene %d class %d: Params.Forward logit %v, reference %v", i, c, fwd[c], want[c])
			}
		}
	}
}

func TestExportMatchesGorgonia(t *testing.T) {
	a := Arch{Size: 32, Classes: shapes.NumClasses, Convs: []ConvSpec{{6, 3, true}, {8, 1, false}, {10, 3, true}, {12, 1, false}}}
	p := NewParams(a, 17)
	for i := range p.FCB {
		p.FCB[i] = float32(i) * 0.1
	}
	for _, c := range p.Convs {
		for i := range c.B {
			c.B[i] = 0.05 * float32(i%3-1)
		}
	}
	m, err := Export(p, shapes.Labels(), "test")
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	checkExport(t, p, b, 3)
	ref := readRef(t, b)
	if ref.meta[MetaLabels] == "" || ref.meta[MetaPreprocess] == "" || ref.meta[MetaCAMLayer] != FeaturesName {
		t.Errorf("metadata: %v", ref.meta)
	}
}
