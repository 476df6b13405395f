package trainer

import (
	"encoding/json"
	"fmt"
	"strings"

	"camscope/inference/onnxpb"
)

// Names and metadata keys of the exported model.
const (
	InputName    = "input"    // [1,3,S,S] float32, NCHW, RGB, pixel/255
	LogitsName   = "logits"   // [1,K] pre-softmax scores
	FeaturesName = "features" // [1,F,s,s]: the last ReLU, input of the GAP

	MetaLabels        = "labels"              // class names, one per line, in output order
	MetaPreprocessing = "preprocessing"       // the same, as a sentence for people
	MetaPreprocess    = "camscope.preprocess" // JSON, see Preprocess
	MetaCAMLayer      = "camscope.cam_layer"  // name of the feature map CAM uses
	MetaTraining      = "camscope.training"   // how the weights were made
)

// Preprocess is the machine-readable preprocessing written under
// MetaPreprocess. Its fields follow inference/preprocess.Spec: every value
// is (p/255 - Mean[c]) / Std[c] for 8-bit pixel p, channels in RGB order.
type Preprocess struct {
	Width  int        `json:"width"`
	Height int        `json:"height"`
	Resize string     `json:"resize"` // "stretch": whole image to Width x Height
	Mean   [3]float64 `json:"mean"`
	Std    [3]float64 `json:"std"`
	BGR    bool       `json:"bgr"`
	Layout string     `json:"layout"` // "NCHW"
}

// Export builds the ONNX model of p: Conv/Relu/MaxPool blocks, then
// GlobalAveragePool, Flatten and Gemm (transB=1) to the logits. There is no
// Softmax, so the only output is the pre-softmax scores CAM needs.
func Export(p *Params, labels []string, training string) (*onnxpb.Model, error) {
	a := p.Arch
	if len(labels) != a.Classes {
		return nil, fmt.Errorf("trainer: %d labels for %d classes", len(labels), a.Classes)
	}
	g := onnxpb.Graph{Name: "camscope_shapes"}
	cur := InputName
	for i, c := range p.Convs {
		id := fmt.Sprintf("conv%d", i+1)
		g.Initializers = append(g.Initializers,
			onnxpb.Tensor{Name: id + ".weight", Dims: []int64{int64(c.Out), int64(c.In), int64(c.Kernel), int64(c.Kernel)}, Data: c.W},
			onnxpb.Tensor{Name: id + ".bias", Dims: []int64{int64(c.Out)}, Data: c.B})
		g.Nodes = append(g.Nodes, onnxpb.Node{
			Name: id, OpType: "Conv", Inputs: []string{cur, id + ".weight", id + ".bias"}, Outputs: []string{id},
			Attrs: []onnxpb.Attr{
				onnxpb.Ints("kernel_shape", int64(c.Kernel), int64(c.Kernel)),
				onnxpb.Ints("pads", int64(c.Kernel/2), int64(c.Kernel/2), int64(c.Kernel/2), int64(c.Kernel/2)),
				onnxpb.Ints("strides", 1, 1), onnxpb.Ints("dilations", 1, 1), onnxpb.Int("group", 1),
			}})
		relu := fmt.Sprintf("relu%d", i+1)
		if i == len(p.Convs)-1 {
			relu = FeaturesName
		}
		g.Nodes = append(g.Nodes, onnxpb.Node{Name: relu, OpType: "Relu", Inputs: []string{id}, Outputs: []string{relu}})
		cur = relu
		if c.Pool {
			pool := fmt.Sprintf("pool%d", i+1)
			g.Nodes = append(g.Nodes, onnxpb.Node{Name: pool, OpType: "MaxPool", Inputs: []string{cur}, Outputs: []string{pool},
				Attrs: []onnxpb.Attr{onnxpb.Ints("kernel_shape", 2, 2), onnxpb.Ints("strides", 2, 2), onnxpb.Ints("pads", 0, 0, 0, 0)}})
			cur = pool
		}
	}
	g.Initializers = append(g.Initializers,
		onnxpb.Tensor{Name: "fc.weight", Dims: []int64{int64(a.Classes), int64(a.Features())}, Data: p.FCW},
		onnxpb.Tensor{Name: "fc.bias", Dims: []int64{int64(a.Classes)}, Data: p.FCB})
	g.Nodes = append(g.Nodes,
		onnxpb.Node{Name: "gap", OpType: "GlobalAveragePool", Inputs: []string{cur}, Outputs: []string{"gap"}},
		onnxpb.Node{Name: "flatten", OpType: "Flatten", Inputs: []string{"gap"}, Outputs: []string{"flatten"},
			Attrs: []onnxpb.Attr{onnxpb.Int("axis", 1)}},
		onnxpb.Node{Name: "fc", OpType: "Gemm", Inputs: []string{"flatten", "fc.weight", "fc.bias"}, Outputs: []string{LogitsName},
			Attrs: []onnxpb.Attr{onnxpb.Float("alpha", 1), onnxpb.Float("beta", 1), onnxpb.Int("transB", 1)}})
	g.Inputs = []onnxpb.ValueInfo{{Name: InputName, Dims: []int64{1, 3, int64(a.Size), int64(a.Size)}}}
	g.Outputs = []onnxpb.ValueInfo{{Name: LogitsName, Dims: []int64{1, int64(a.Classes)}}}

	pre, err := json.Marshal(Preprocess{Width: a.Size, Height: a.Size, Resize: "stretch", Std: [3]float64{1, 1, 1}, Layout: "NCHW"})
	if err != nil {
		return nil, err
	}
	return &onnxpb.Model{
		ProducerName:    "camscope",
		ProducerVersion: "1",
		DocString:       "CAMscope's built-in shape classifier: convolutions, global average pooling and one linear layer, so its class activation maps are exact.",
		Graph:           g,
		Metadata: []onnxpb.KeyValue{
			{Key: MetaLabels, Value: strings.Join(labels, "\n")},
			{Key: MetaPreprocessing, Value: fmt.Sprintf("resize the whole image to %dx%d; RGB; NCHW; x = pixel/255 (range [0,1]), no mean or std", a.Size, a.Size)},
			{Key: MetaPreprocess, Value: string(pre)},
			{Key: MetaCAMLayer, Value: FeaturesName},
			{Key: MetaTraining, Value: training},
		},
	}, nil
}
