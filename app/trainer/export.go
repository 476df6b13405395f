package trainer

import (
	"encoding/json"
	"fmt"
	"strings"

	"camscope/inference/onnxwrite"
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
func Export(p *Params, labels []string, training string) (*onnxwrite.Model, error) {
	a := p.Arch
	if len(labels) != a.Classes {
		return nil, fmt.Errorf("trainer: %d labels for %d classes", len(labels), a.Classes)
	}
	g := onnxwrite.Graph{Name: "camscope_shapes"}
	cur := InputName
	for i, c := range p.Convs {
		id := fmt.Sprintf("conv%d", i+1)
		g.Initializers = append(g.Initializers,
			onnxwrite.Tensor{Name: id + ".weight", Dims: []int64{int64(c.Out), int64(c.In), int64(c.Kernel), int64(c.Kernel)}, Data: c.W},
			onnxwrite.Tensor{Name: id + ".bias", Dims: []int64{int64(c.Out)}, Data: c.B})
		g.Nodes = append(g.Nodes, onnxwrite.Node{
			Name: id, OpType: "Conv", Inputs: []string{cur, id + ".weight", id + ".bias"}, Outputs: []string{id},
			Attrs: []onnxwrite.Attr{
				onnxwrite.Ints("kernel_shape", int64(c.Kernel), int64(c.Kernel)),
				onnxwrite.Ints("pads", int64(c.Kernel/2), int64(c.Kernel/2), int64(c.Kernel/2), int64(c.Kernel/2)),
				onnxwrite.Ints("strides", 1, 1), onnxwrite.Ints("dilations", 1, 1), onnxwrite.Int("group", 1),
			}})
		relu := fmt.Sprintf("relu%d", i+1)
		if i == len(p.Convs)-1 {
			relu = FeaturesName
		}
		g.Nodes = append(g.Nodes, onnxwrite.Node{Name: relu, OpType: "Relu", Inputs: []string{id}, Outputs: []string{relu}})
		cur = relu
		if c.Pool {
			pool := fmt.Sprintf("pool%d", i+1)
			g.Nodes = append(g.Nodes, onnxwrite.Node{Name: pool, OpType: "MaxPool", Inputs: []string{cur}, Outputs: []string{pool},
				Attrs: []onnxwrite.Attr{onnxwrite.Ints("kernel_shape", 2, 2), onnxwrite.Ints("strides", 2, 2), onnxwrite.Ints("pads", 0, 0, 0, 0)}})
			cur = pool
		}
	}
	g.Initializers = append(g.Initializers,
		onnxwrite.Tensor{Name: "fc.weight", Dims: []int64{int64(a.Classes), int64(a.Features())}, Data: p.FCW},
		onnxwrite.Tensor{Name: "fc.bias", Dims: []int64{int64(a.Classes)}, Data: p.FCB})
	g.Nodes = append(g.Nodes,
		onnxwrite.Node{Name: "gap", OpType: "GlobalAveragePool", Inputs: []string{cur}, Outputs: []string{"gap"}},
		onnxwrite.Node{Name: "flatten", OpType: "Flatten", Inputs: []string{"gap"}, Outputs: []string{"flatten"},
			Attrs: []onnxwrite.Attr{onnxwrite.Int("axis", 1)}},
		onnxwrite.Node{Name: "fc", OpType: "Gemm", Inputs: []string{"flatten", "fc.weight", "fc.bias"}, Outputs: []string{LogitsName},
			Attrs: []onnxwrite.Attr{onnxwrite.Float("alpha", 1), onnxwrite.Float("beta", 1), onnxwrite.Int("transB", 1)}})
	g.Inputs = []onnxwrite.ValueInfo{{Name: InputName, Dims: []int64{1, 3, int64(a.Size), int64(a.Size)}}}
	g.Outputs = []onnxwrite.ValueInfo{{Name: LogitsName, Dims: []int64{1, int64(a.Classes)}}}

	pre, err := json.Marshal(Preprocess{Width: a.Size, Height: a.Size, Resize: "stretch", Std: [3]float64{1, 1, 1}, Layout: "NCHW"})
	if err != nil {
		return nil, err
	}
	return &onnxwrite.Model{
		ProducerName:    "camscope",
		ProducerVersion: "1",
		DocString:       "CAMscope's built-in shape classifier: convolutions, global average pooling and one linear layer, so its class activation maps are exact.",
		Graph:           g,
		Metadata: []onnxwrite.KeyValue{
			{Key: MetaLabels, Value: strings.Join(labels, "\n")},
			{Key: MetaPreprocessing, Value: fmt.Sprintf("resize the whole image to %dx%d; RGB; NCHW; x = pixel/255 (range [0,1]), no mean or std", a.Size, a.Size)},
			{Key: MetaPreprocess, Value: string(pre)},
			{Key: MetaCAMLayer, Value: FeaturesName},
			{Key: MetaTraining, Value: training},
		},
	}, nil
}
