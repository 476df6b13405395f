// Package opsetup upgrades an ONNX model of opset 17 or later to a later
// opset, up to 21, as the ONNX version converter
// (onnx.version_converter.convert_version) does for the operators it knows
// (changes.go): the reductions' axes become an input at 18, Split gets
// num_outputs at 18, every other operator whose version changes between
// the two opsets is kept as it is because its new version only adds types,
// or attributes and inputs whose defaults keep its meaning. An operator
// whose new version changes its meaning in another way, or one opsetup does
// not know, stops the upgrade with a sentence naming it.
//
// With Options.Gelu, at opset 20 or later, the Erf form of GELU that
// PyTorch writes before opset 20 (x * (erf(x / sqrt 2) + 1) * 0.5: Div,
// Erf, Add, Mul, Mul) becomes one Gelu node, as PyTorch's own export at
// opset 20 writes it (torch.onnx's symbolic_opset20). The converter does
// not do this; it is the other form such files come in.
//
// It works on the protobuf wire format (package onnxpb's Fields), so every
// field it does not change is kept byte for byte. It serves the tests of
// inference/cam, which make opset 18 to 21 versions of the committed
// opset-17 exports, and tools/opsetup; it is not part of the program.
package opsetup

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"

	"camscope/inference/onnxpb"
)

// Opsets opsetup reads from and writes.
const (
	MinFrom = 17
	MaxTo   = 21
)

// Options say what else Upgrade does.
type Options struct {
	// Gelu writes each Erf-form GELU as one Gelu node (opset 20 or later).
	Gelu bool
}

// Field numbers of onnx.proto used here.
const (
	modelIRVersion   = 1
	modelGraph       = 7
	modelOpsetImport = 8
	opsetDomain      = 1
	opsetVersion     = 2

	graphNode        = 1
	graphInitializer = 5
	graphInput       = 11
	graphOutput      = 12
	graphValueInfo   = 13

	nodeInput     = 1
	nodeOutput    = 2
	nodeName      = 3
	nodeOpType    = 4
	nodeAttribute = 5
	nodeDomain    = 7

	attrName    = 1
	attrI       = 3
	attrT       = 5
	attrG       = 6
	attrInts    = 8
	attrGraphs  = 11
	attrType    = 20
	attrTypeInt = 2

	tensorDims      = 1
	tensorDataType  = 2
	tensorFloatData = 4
	tensorName      = 8
	tensorRawData   = 9

	valueName = 1

	elemFloat = 1
	elemInt64 = 7
)

// Upgrade returns the model in b at opset to, with its IR version raised
// to the one that opset needs if it is lower.
func Upgrade(b []byte, to int, opt Options) ([]byte, error) {
	if to <= MinFrom || to > MaxTo {
		return nil, fmt.Errorf("opsetup writes opsets %d to %d, not %d", MinFrom+1, MaxTo, to)
	}
	if opt.Gelu && to < 20 {
		return nil, fmt.Errorf("the Gelu operator is in opset 20 and later, not %d", to)
	}
	from, err := opsetOf(b)
	if err != nil {
		return nil, err
	}
	if from < MinFrom || from >= int64(to) {
		return nil, fmt.Errorf("the model is at opset %d; opsetup upgrades opsets %d to %d to a later one, up to %d", from, MinFrom, MaxTo-1, MaxTo)
	}
	return onnxpb.Edit(b, func(num protowire.Number, f onnxpb.Field) ([]byte, bool, error) {
		switch {
		case num == modelIRVersion && f.IsVarint():
			return protowire.AppendVarint(nil, max(f.Int, minIRVersion[to])), true, nil
		case num == modelOpsetImport && f.IsBytes():
			if d := domainOf(f.Bytes); d != "" && d != "ai.onnx" {
				return nil, false, nil
			}
			op, err := onnxpb.Edit(f.Bytes, func(num protowire.Number, f onnxpb.Field) ([]byte, bool, error) {
				if num == opsetVersion && f.IsVarint() {
					return protowire.AppendVarint(nil, uint64(to)), true, nil
				}
				return nil, false, nil
			})
			return op, true, err
		case num == modelGraph && f.IsBytes():
			g, err := upgradeGraph(f.Bytes, int(from), to, opt)
			return g, true, err
		}
		return nil, false, nil
	})
}

// opsetOf returns the model's opset of the default domain.
func opsetOf(b []byte) (int64, error) {
	m, err := onnxpb.Unmarshal(b, onnxpb.Structure)
	if err != nil {
		return 0, fmt.Errorf("not an ONNX model: %w", err)
	}
	if m.Opset == 0 {
		return 0, errors.New("the model imports no opset of the default ONNX domain")
	}
	return m.Opset, nil
}

func domainOf(opsetImport []byte) string {
	var d string
	_ = onnxpb.Fields(opsetImport, func(num protowire.Number, f onnxpb.Field) error {
		if num == opsetDomain && f.IsBytes() {
			d = string(f.Bytes)
		}
		return nil
	})
	return d
}

// node is one NodeProto: its bytes and what opsetup reads of them.
type node struct {
	raw             []byte
	name, op        string
	domain          string
	inputs, outputs []string
	attrs           map[string][]byte // each attribute's AttributeProto
	subgraph        bool
}

func readNode(b []byte) (*node, error) {
	n := &node{raw: slices.Clip(b), attrs: map[string][]byte{}} // appending copies
	err := onnxpb.Fields(b, func(num protowire.Number, f onnxpb.Field) error {
		if !f.IsBytes() {
			return nil
		}
		switch num {
		case nodeInput:
			n.inputs = append(n.inputs, string(f.Bytes))
		case nodeOutput:
			n.outputs = append(n.outputs, string(f.Bytes))
		case nodeName:
			n.name = string(f.Bytes)
		case nodeOpType:
			n.op = string(f.Bytes)
		case nodeDomain:
			n.domain = string(f.Bytes)
		case nodeAttribute:
			var name string
			err := onnxpb.Fields(f.Bytes, func(num protowire.Number, f onnxpb.Field) error {
				switch {
				case num == attrName && f.IsBytes():
					name = string(f.Bytes)
				case num == attrG || num == attrGraphs:
					n.subgraph = true
				}
				return nil
			})
			n.attrs[name] = f.Bytes
			return err
		}
		return nil
	})
	return n, err
}

// label names a node in an error.
func (n *node) label() string {
	if n.name != "" {
		return fmt.Sprintf("%s node %q", n.op, n.name)
	}
	if len(n.outputs) > 0 {
		return fmt.Sprintf("%s node of output %q", n.op, n.outputs[0])
	}
	return n.op + " node"
}

// graphState is the graph being upgraded: its nodes in file order (nil
// once dropped) and the initializers to add.
type graphState struct {
	nodes   []*node
	added   [][]byte // TensorProtos
	names   map[string]bool
	outputs map[string]bool // the graph's outputs
	consts  map[string][]byte
}

func upgradeGraph(b []byte, from, to int, opt Options) ([]byte, error) {
	g := &graphState{names: map[string]bool{}, outputs: map[string]bool{}, consts: map[string][]byte{}}
	err := onnxpb.Fields(b, func(num protowire.Number, f onnxpb.Field) error {
		if !f.IsBytes() {
			return nil
		}
		switch num {
		case graphNode:
			n, err := readNode(f.Bytes)
			if err != nil {
				return err
			}
			g.nodes = append(g.nodes, n)
			for _, o := range n.outputs {
				g.names[o] = true
			}
		case graphInitializer:
			name := tensorNameOf(f.Bytes)
			g.names[name] = true
			g.consts[name] = f.Bytes
		case graphOutput:
			g.outputs[valueNameOf(f.Bytes)] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, n := range g.nodes {
		if n.op == "Constant" && n.domain == "" && len(n.outputs) == 1 {
			if t, ok := n.attrs["value"]; ok {
				g.consts[n.outputs[0]] = tensorOfAttr(t)
			}
		}
	}
	for _, n := range g.nodes {
		if err := g.upgradeNode(n, from, to); err != nil {
			return nil, err
		}
	}
	var dropped map[string]bool
	if opt.Gelu {
		dropped = g.fuseGelu()
	}
	return g.write(b, dropped)
}

// upgradeNode applies every step of the node's operator after opset from
// up to to.
func (g *graphState) upgradeNode(n *node, from, to int) error {
	if n.domain != "" && n.domain != "ai.onnx" {
		return nil // its domain's opset is not changed
	}
	if n.subgraph {
		return fmt.Errorf("%s holds a subgraph, which opsetup does not upgrade", n.label())
	}
	steps, known := changes[n.op]
	if !known {
		return fmt.Errorf("%s: opsetup does not know how the %s operator changes after opset %d", n.label(), n.op, from)
	}
	for _, s := range steps {
		if s.opset <= from || s.opset > to {
			continue
		}
		switch s.change {
		case refused:
			return fmt.Errorf("%s: %s, which opsetup does not rewrite; use onnx.version_converter", n.label(), s.reason)
		case axesToInput:
			if err := g.axesToInput(n); err != nil {
				return err
			}
		case splitOutputs:
			if len(n.inputs) < 2 || n.inputs[1] == "" {
				n.raw = protowire.AppendTag(n.raw, nodeAttribute, protowire.BytesType)
				n.raw = protowire.AppendBytes(n.raw, intAttr("num_outputs", int64(len(n.outputs))))
			}
		}
	}
	return nil
}

// axesToInput moves a reduction's axes attribute to a new int64
// initializer read as its second input.
func (g *graphState) axesToInput(n *node) error {
	a, ok := n.attrs["axes"]
	if !ok {
		return nil // every axis, as before
	}
	if len(n.inputs) != 1 {
		return fmt.Errorf("%s has %d inputs and an axes attribute", n.label(), len(n.inputs))
	}
	var axes []int64
	err := onnxpb.Fields(a, func(num protowire.Number, f onnxpb.Field) error {
		if num == attrInts {
			return f.Varints(func(v uint64) { axes = append(axes, int64(v)) })
		}
		return nil
	})
	if err != nil {
		return err
	}
	name := g.fresh(n.outputs[0] + "_axes")
	raw, err := onnxpb.Edit(n.raw, func(num protowire.Number, f onnxpb.Field) ([]byte, bool, error) {
		if num == nodeAttribute && f.IsBytes() && slices.Equal(f.Bytes, a) {
			return nil, true, nil
		}
		return nil, false, nil
	})
	if err != nil {
		return err
	}
	n.raw = protowire.AppendTag(raw, nodeInput, protowire.BytesType)
	n.raw = protowire.AppendString(n.raw, name)
	n.inputs = append(n.inputs, name)
	g.added = append(g.added, int64Tensor(name, axes))
	return nil
}

// fresh returns a tensor name not yet in the graph, starting from base.
func (g *graphState) fresh(base string) string {
	name := base
	for i := 1; g.names[name]; i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	g.names[name] = true
	return name
}

// write re-encodes the graph: the nodes as upgraded, the added
// initializers after the others, and without the value_info, Constant
// nodes and initializers of the tensors in dropped.
func (g *graphState) write(b []byte, dropped map[string]bool) ([]byte, error) {
	i := 0
	out, err := onnxpb.Edit(b, func(num protowire.Number, f onnxpb.Field) ([]byte, bool, error) {
		switch {
		case !f.IsBytes():
		case num == graphNode:
			n := g.nodes[i]
			i++
			if n == nil {
				return nil, true, nil
			}
			return n.raw, true, nil
		case num == graphInitializer && dropped[tensorNameOf(f.Bytes)]:
			return nil, true, nil
		case (num == graphValueInfo || num == graphInput) && dropped[valueNameOf(f.Bytes)]:
			return nil, true, nil
		}
		return nil, false, nil
	})
	for _, t := range g.added {
		out = protowire.AppendTag(out, graphInitializer, protowire.BytesType)
		out = protowire.AppendBytes(out, t)
	}
	return out, err
}

// fuseGelu replaces each Erf-form GELU, as PyTorch writes it,
//
//	d = Div(x, sqrt 2); e = Erf(d); a = Add(e, 1); m = Mul(x, a); y = Mul(m, 0.5)
//
// (the operands of Add and the Muls in either order, each constant a
// float32 scalar of exactly that value, d, e, a and m read by nothing
// else), by y = Gelu(x). It returns the tensors no longer in the graph:
// those four, and the constants nothing reads any more, whose Constant
// nodes are dropped too.
func (g *graphState) fuseGelu() map[string]bool {
	producer := map[string]int{}
	readers := map[string][]int{}
	for i, n := range g.nodes {
		for _, o := range n.outputs {
			producer[o] = i
		}
		for _, in := range n.inputs {
			readers[in] = append(readers[in], i)
		}
	}
	// only returns the one node that reads t, if t is an inner tensor of
	// one reader.
	only := func(t, op string) (int, *node) {
		r := readers[t]
		if len(r) != 1 || g.outputs[t] || g.nodes[r[0]] == nil || g.nodes[r[0]].op != op || g.nodes[r[0]].domain != "" {
			return -1, nil
		}
		return r[0], g.nodes[r[0]]
	}
	isConst := func(t string, v float32) bool {
		b, ok := g.consts[t]
		return ok && scalarFloat(b) == v && !math.IsNaN(float64(v))
	}
	// other returns the operand of a binary node that is not t.
	other := func(n *node, t string) (string, bool) {
		switch {
		case len(n.inputs) != 2:
		case n.inputs[0] == t:
			return n.inputs[1], true
		case n.inputs[1] == t:
			return n.inputs[0], true
		}
		return "", false
	}
	dropped := map[string]bool{}
	for ie, e := range g.nodes {
		if e == nil || e.op != "Erf" || e.domain != "" || len(e.inputs) != 1 || len(e.outputs) != 1 {
			continue
		}
		id, ok := producer[e.inputs[0]]
		d := g.nodes[max(id, 0)]
		if !ok || d == nil || d.op != "Div" || d.domain != "" || len(d.inputs) != 2 || len(d.outputs) != 1 || !isConst(d.inputs[1], float32(math.Sqrt2)) {
			continue
		}
		x := d.inputs[0]
		if i, _ := only(d.outputs[0], "Erf"); i != ie {
			continue
		}
		ia, a := only(e.outputs[0], "Add")
		if a == nil {
			continue
		}
		if one, ok := other(a, e.outputs[0]); !ok || !isConst(one, 1) {
			continue
		}
		im, m := only(a.outputs[0], "Mul")
		if m == nil {
			continue
		}
		if xx, ok := other(m, a.outputs[0]); !ok || xx != x {
			continue
		}
		iy, y := only(m.outputs[0], "Mul")
		if y == nil {
			continue
		}
		if half, ok := other(y, m.outputs[0]); !ok || !isConst(half, 0.5) {
			continue
		}
		name := strings.TrimSuffix(e.name, "Erf") + "Gelu"
		if e.name == "" {
			name = ""
		}
		g.nodes[iy] = &node{raw: geluNode(name, x, y.outputs[0]), op: "Gelu", inputs: []string{x}, outputs: y.outputs}
		for _, i := range []int{id, ie, ia, im} {
			for _, o := range g.nodes[i].outputs {
				dropped[o] = true
			}
			g.nodes[i] = nil
		}
	}
	// Constants nothing reads any more.
	read := map[string]bool{}
	for _, n := range g.nodes {
		if n != nil {
			for _, in := range n.inputs {
				read[in] = true
			}
		}
	}
	for c := range g.consts {
		if !read[c] && !g.outputs[c] && readers[c] != nil {
			dropped[c] = true
		}
	}
	for i, n := range g.nodes {
		if n != nil && n.op == "Constant" && len(n.outputs) == 1 && dropped[n.outputs[0]] {
			g.nodes[i] = nil
		}
	}
	return dropped
}

// geluNode encodes y = Gelu(x) (approximate "none", the default).
func geluNode(name, x, y string) []byte {
	var b []byte
	b = protowire.AppendTag(b, nodeInput, protowire.BytesType)
	b = protowire.AppendString(b, x)
	b = protowire.AppendTag(b, nodeOutput, protowire.BytesType)
	b = protowire.AppendString(b, y)
	if name != "" {
		b = protowire.AppendTag(b, nodeName, protowire.BytesType)
		b = protowire.AppendString(b, name)
	}
	b = protowire.AppendTag(b, nodeOpType, protowire.BytesType)
	return protowire.AppendString(b, "Gelu")
}

// intAttr encodes an int attribute.
func intAttr(name string, v int64) []byte {
	var b []byte
	b = protowire.AppendTag(b, attrName, protowire.BytesType)
	b = protowire.AppendString(b, name)
	b = protowire.AppendTag(b, attrI, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(v))
	b = protowire.AppendTag(b, attrType, protowire.VarintType)
	return protowire.AppendVarint(b, attrTypeInt)
}

// int64Tensor encodes a 1-D int64 initializer.
func int64Tensor(name string, v []int64) []byte {
	var b []byte
	b = protowire.AppendTag(b, tensorDims, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(len(v)))
	b = protowire.AppendTag(b, tensorDataType, protowire.VarintType)
	b = protowire.AppendVarint(b, elemInt64)
	b = protowire.AppendTag(b, tensorName, protowire.BytesType)
	b = protowire.AppendString(b, name)
	var raw []byte
	for _, x := range v {
		raw = binary.LittleEndian.AppendUint64(raw, uint64(x))
	}
	b = protowire.AppendTag(b, tensorRawData, protowire.BytesType)
	return protowire.AppendBytes(b, raw)
}

// tensorOfAttr returns the TensorProto of a tensor attribute (nil if it has
// none).
func tensorOfAttr(a []byte) []byte {
	var t []byte
	_ = onnxpb.Fields(a, func(num protowire.Number, f onnxpb.Field) error {
		if num == attrT && f.IsBytes() {
			t = f.Bytes
		}
		return nil
	})
	return t
}

func tensorNameOf(t []byte) string {
	var name string
	_ = onnxpb.Fields(t, func(num protowire.Number, f onnxpb.Field) error {
		if num == tensorName && f.IsBytes() {
			name = string(f.Bytes)
		}
		return nil
	})
	return name
}

func valueNameOf(v []byte) string {
	var name string
	_ = onnxpb.Fields(v, func(num protowire.Number, f onnxpb.Field) error {
		if num == valueName && f.IsBytes() {
			name = string(f.Bytes)
		}
		return nil
	})
	return name
}

// scalarFloat returns the value of a float32 tensor of one element, NaN
// for any other tensor.
func scalarFloat(t []byte) float32 {
	dtype, size := uint64(0), int64(1)
	var vals []float32
	err := onnxpb.Fields(t, func(num protowire.Number, f onnxpb.Field) error {
		switch {
		case num == tensorDims:
			return f.Varints(func(v uint64) { size *= int64(v) })
		case num == tensorDataType && f.IsVarint():
			dtype = f.Int
		case num == tensorRawData && f.IsBytes() && len(f.Bytes) == 4:
			vals = append(vals, math.Float32frombits(binary.LittleEndian.Uint32(f.Bytes)))
		case num == tensorFloatData && f.Type == protowire.Fixed32Type:
			vals = append(vals, math.Float32frombits(uint32(f.Int)))
		case num == tensorFloatData && f.IsBytes() && len(f.Bytes) == 4:
			vals = append(vals, math.Float32frombits(binary.LittleEndian.Uint32(f.Bytes)))
		}
		return nil
	})
	if err != nil || dtype != elemFloat || size != 1 || len(vals) != 1 {
		return float32(math.NaN())
	}
	return vals[0]
}
