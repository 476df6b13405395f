package inference

import (
	"context"
	"fmt"
	"math"
	"testing"

	"camscope/inference/onnxpb"
	"camscope/inference/tensor"
)

// bandLayer is a layer of a chain for TestBands: a convolution (out > 0)
// or a max pool, with its vertical and horizontal window.
type bandLayer struct {
	out, k, s, d int
	pads         [4]int64
}

// chainModel is a model of the layers one after the other from an input
// of 1 x c x h x w, the last one's output the graph's output y, each
// convolution with a fused Relu every other layer.
func chainModel(c, h, w int, layers []bandLayer) *onnxpb.Model {
	weights := randomWeights(11)
	g := onnxpb.Graph{Inputs: []onnxpb.ValueInfo{{Name: "x", Dims: []int64{1, int64(c), int64(h), int64(w)}}}}
	cur := "x"
	for i, l := range layers {
		out := fmt.Sprintf("t%d", i)
		if i == len(layers)-1 {
			out = "y"
		}
		attrs := []onnxpb.Attr{onnxpb.Ints("kernel_shape", int64(l.k), int64(l.k)), onnxpb.Ints("strides", int64(l.s), int64(l.s)),
			onnxpb.Ints("pads", l.pads[:]...)}
		if l.out == 0 {
			g.Nodes = append(g.Nodes, onnxpb.Node{Name: out, OpType: "MaxPool", Inputs: []string{cur}, Outputs: []string{out}, Attrs: attrs})
			cur = out
			continue
		}
		attrs = append(attrs, onnxpb.Ints("dilations", int64(l.d), int64(l.d)))
		wn, bn := fmt.Sprintf("w%d", i), fmt.Sprintf("b%d", i)
		g.Initializers = append(g.Initializers, weights(wn, int64(l.out), int64(c), int64(l.k), int64(l.k)), weights(bn, int64(l.out)))
		conv := out
		if i%2 == 0 {
			conv = out + "_conv"
		}
		g.Nodes = append(g.Nodes, onnxpb.Node{Name: conv, OpType: "Conv", Inputs: []string{cur, wn, bn}, Outputs: []string{conv}, Attrs: attrs})
		if i%2 == 0 {
			g.Nodes = append(g.Nodes, onnxpb.Node{Name: out, OpType: "Relu", Inputs: []string{conv}, Outputs: []string{out}})
		}
		c, cur = l.out, out
	}
	g.Outputs = []onnxpb.ValueInfo{{Name: "y"}}
	return &onnxpb.Model{Graph: g}
}

// TestBands: a chain computed in two bands of rows gives every output bit
// for bit as the steps one by one do, for convolutions of every stride,
// dilation, padding and kernel the bands meet, max pools, and images whose
// rows do not halve evenly (with the bands' work unbounded, so that small
// images take them too); and the built-in shapes model's chain ends before
// its first Winograd convolution.
func TestBands(t *testing.T) {
	p1 := [4]int64{1, 1, 1, 1}
	for _, c := range []struct {
		name    string
		c, h, w int
		layers  []bandLayer
		last    int // the chain's last step
	}{
		{"3x3 and pools", 3, 40, 40, []bandLayer{{16, 3, 1, 1, p1}, {0, 2, 2, 1, [4]int64{}}, {24, 3, 1, 1, p1}, {0, 3, 2, 1, p1}, {32, 3, 1, 1, p1}}, 4},
		{"strided, odd rows", 3, 45, 30, []bandLayer{{16, 3, 2, 1, [4]int64{1, 0, 1, 1}}, {16, 1, 1, 1, [4]int64{}}, {24, 3, 2, 1, [4]int64{0, 1, 2, 1}}, {24, 5, 1, 1, [4]int64{2, 2, 2, 2}}}, 3},
		{"dilated, unpadded", 4, 37, 21, []bandLayer{{8, 3, 1, 2, [4]int64{2, 2, 2, 2}}, {8, 3, 1, 1, [4]int64{}}, {0, 3, 1, 1, [4]int64{}}, {12, 7, 3, 1, [4]int64{3, 3, 3, 3}}}, 3},
		{"one row each", 2, 4, 9, []bandLayer{{4, 3, 1, 1, p1}, {4, 3, 2, 1, p1}}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := LoadBytes(c.name+".onnx", marshal(t, chainModel(c.c, c.h, c.w, c.layers)), Options{})
			if err != nil {
				t.Fatal(err)
			}
			m.planBandsWithin(10)
			if m.bands == nil || m.bands.last != c.last {
				t.Fatalf("chain %+v, want steps 0 to %d", m.bands, c.last)
			}
			checkBands(t, m, "y")
		})
	}
	t.Run("shapes", func(t *testing.T) {
		m, err := Load("../assets/shapes/shapes.onnx", Options{})
		if err != nil {
			t.Fatal(err)
		}
		if m.bands == nil || m.steps[m.bands.last].name != "conv3" {
			t.Fatalf("chain %+v, want conv1 to conv3", m.bands)
		}
		checkBands(t, m, m.Outputs[0].Name)
	})
}

// checkBands runs m on random inputs with its bands and without, and
// wants out bit for bit the same, and the same from a run that keeps an
// inner tensor of the chain (which runs the steps one by one).
func checkBands(t *testing.T, m *Model, out string) {
	t.Helper()
	in := m.Inputs[0]
	r := uint32(5)
	for round := 0; round < 3; round++ {
		x := tensor.New(in.Shape...)
		for i := range x.F {
			r = r*1664525 + 1013904223
			x.F[i] = float32(int32(r>>8)) / float32(1<<23)
		}
		feed := map[string]*tensor.Tensor{in.Name: x}
		got, err := m.Run(context.Background(), feed)
		if err != nil {
			t.Fatal(err)
		}
		inner := m.steps[m.bands.first].outputs[0]
		kept, err := m.Run(context.Background(), feed, inner)
		if err != nil {
			t.Fatal(err)
		}
		bands := m.bands
		m.bands = nil
		want, err := m.Run(context.Background(), feed)
		m.bands = bands
		if err != nil {
			t.Fatal(err)
		}
		for name, res := range map[string]*tensor.Tensor{"bands": got[out], "keeping " + inner: kept[out]} {
			for i, v := range want[out].F {
				if math.Float32bits(res.F[i]) != math.Float32bits(v) {
					t.Fatalf("round %d, %s: %s[%d] = %v, one step at a time %v", round, name, out, i, res.F[i], v)
				}
			}
		}
	}
}

// TestBandsBounded: a graph of many light steps (200 max pools of one
// value) gets a chain of at most bandMaxSteps, which the load tries each
// length of.
func TestBandsBounded(t *testing.T) {
	layers := make([]bandLayer, 200)
	for i := range layers {
		layers[i] = bandLayer{k: 1, s: 1}
	}
	m, err := LoadBytes("pools.onnx", marshal(t, chainModel(2, 16, 16, layers)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	m.planBandsWithin(10)
	if m.bands == nil || m.bands.last != bandMaxSteps-1 {
		t.Fatalf("chain %+v, want steps 0 to %d", m.bands, bandMaxSteps-1)
	}
	checkBands(t, m, "y")
}
