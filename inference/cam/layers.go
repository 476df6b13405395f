package cam

import (
	"strings"

	"camscope/inference"
)

// LayerInfo is a feature tensor a map can be computed on.
type LayerInfo struct {
	Name       string // the tensor's name in the graph (what New and --layer take)
	Short      string // a shorter name for menus (see ShortLayerName)
	C, H, W    int    // channels and grid size
	Discovered bool   // the feature map DiscoverHead found: the default, and the only layer CAM applies at
}

// Layers lists the tensors a map can be computed on: every 4-D [1,C,H,W]
// tensor computed from the input (no constant) that the discovered feature
// map depends on, itself included, in execution order (from the first layer
// to the last before the head). Tensors the loader fused away (a Conv's
// output before its Relu) are not in the graph any more and not listed. A
// model whose head is not found has none.
func Layers(m *inference.Model) []LayerInfo {
	h, err := DiscoverHead(m)
	if err != nil {
		return nil
	}
	nodes := m.Nodes()
	producer := map[string]int{}
	for i, n := range nodes {
		for _, o := range n.Outputs {
			producer[o] = i
		}
	}
	// needed marks the nodes the feature map is computed from.
	needed := make([]bool, len(nodes))
	stack := []string{h.Feature}
	for len(stack) > 0 {
		name := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		i, ok := producer[name]
		if !ok || needed[i] {
			continue
		}
		needed[i] = true
		for _, in := range nodes[i].Inputs {
			if in != "" {
				stack = append(stack, in)
			}
		}
	}
	var out []LayerInfo
	for i, n := range nodes {
		if !needed[i] {
			continue
		}
		for _, o := range n.Outputs {
			sh, ok := m.Shape(o)
			if !ok || len(sh) != 4 || sh[0] != 1 || m.Const(o) != nil {
				continue
			}
			out = append(out, LayerInfo{Name: o, Short: ShortLayerName(o), C: sh[1], H: sh[2], W: sh[3], Discovered: o == h.Feature})
		}
	}
	return out
}

// ShortLayerName shortens a tensor name for a menu. Exporters name tensors
// by module path and operator ("/layer4/layer4.1/relu_1/Relu_output_0"
// from PyTorch, "MobilenetV2/expanded_conv_14/expand/Relu6" from
// TensorFlow): the "_output_0" suffix goes, then an operator part that
// repeats the module's name ("Relu" after "relu_1"), each path part that
// the next one starts with ("layer4" before "layer4.1"), and all but the
// last three parts; what is left is joined by spaces ("layer4.1 relu_1",
// "expanded_conv_14 expand Relu6"). A name without "/" is kept.
func ShortLayerName(name string) string {
	s := strings.TrimSuffix(name, "_output_0")
	if !strings.Contains(s, "/") {
		return s
	}
	var parts []string
	for p := range strings.SplitSeq(s, "/") {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if n := len(parts); n >= 2 && strings.HasPrefix(strings.ToLower(parts[n-2]), strings.ToLower(parts[n-1])) {
		parts = parts[:n-1]
	}
	var kept []string
	for i, p := range parts {
		if i+1 < len(parts) && strings.HasPrefix(parts[i+1], p) {
			continue
		}
		kept = append(kept, p)
	}
	if len(kept) == 0 {
		return name
	}
	return strings.Join(kept[max(0, len(kept)-3):], " ")
}
