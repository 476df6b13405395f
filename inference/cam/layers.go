package cam

import (
	"fmt"
	"strings"

	"camscope/inference"
	"camscope/inference/tensor"
)

// LayerInfo is a feature tensor a map can be computed on.
type LayerInfo struct {
	Name       string // the tensor's name in the graph (what New and --layer take)
	Short      string // a shorter name for menus (see ShortLayerName)
	C, H, W    int    // channels and grid size
	Discovered bool   // the feature map DiscoverHead found: the default, and the only layer CAM applies at
	// Tokens: the layer is a transformer's tokens [1,T,C] whose patch
	// tokens lie on the H x W grid; ChannelsLast: it is [1,H,W,C].
	Tokens, ChannelsLast bool
}

// Layers lists the tensors a map can be computed on: every tensor computed
// from the input (no constant) that the discovered feature map depends on,
// itself included, in execution order (from the first layer to the last
// before the head): for a vision transformer whose feature map is tokens,
// its tokens [1,T,C] on the patch grid; otherwise the 4-D maps [1,C,H,W]
// (and [1,H,W,C], see layoutOf). Tensors the loader fused away (a Conv's
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
	g := &graph{m: m, nodes: nodes}
	var out []LayerInfo
	for i, n := range nodes {
		if !needed[i] {
			continue
		}
		for _, o := range n.Outputs {
			l, err := g.layoutOf(o)
			if err != nil || l.tokens != h.layout.tokens {
				continue
			}
			out = append(out, LayerInfo{Name: o, Short: ShortLayerName(o), C: l.c, H: l.h, W: l.w, Discovered: o == h.Feature, Tokens: l.tokens, ChannelsLast: l.nhwc})
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

// LayerMaps returns the map of class k at each layer of the explainer
// (NewLayers), each raw on its own grid instead of combined as Map
// combines them, for the input as given: for a method that needs the
// gradient, from one backward pass that reaches every layer
// (Tape.GradsOfLogit). It refuses a pass with augmentation smoothing.
func (p *Pass) LayerMaps(k int) ([]Map, error) {
	if err := p.checkClass(k); err != nil {
		return nil, err
	}
	if len(p.runs) != 1 {
		return nil, fmt.Errorf("each layer's map is of the input as given: leave augmentation smoothing out")
	}
	r := p.runs[0]
	var grads []*tensor.Tensor
	if p.method.needsGradient() {
		all, err := p.grads(r, []int{k})
		if err != nil {
			return nil, err
		}
		grads = all[0]
	}
	maps := make([]Map, len(r.feats))
	for l, feat := range r.feats {
		var grad *tensor.Tensor
		if grads != nil {
			grad = grads[l]
		}
		m, _, err := p.layerMap(feat, grad, k)
		if err != nil {
			return nil, err
		}
		maps[l] = m
	}
	return maps, nil
}
