package opsetup

// change is what one operator's new version asks of a node written for the
// one before.
type change int

const (
	// compatible: the new version adds element types, or attributes and
	// optional inputs whose defaults keep the old behaviour; the node is
	// kept as it is (the ONNX version converter's CompatibleAdapter).
	compatible change = iota
	// axesToInput: Reduce*-18 takes its axes as an optional input instead
	// of an attribute (the converter's AxesAttributeToInput).
	axesToInput
	// splitOutputs: Split-18 wants num_outputs when no split input gives
	// the sizes (the converter's Split_17_18).
	splitOutputs
	// refused: the new version changes the meaning in a way opsetup does
	// not rewrite; the reason says how.
	refused
)

// step is one new version of an operator, at an opset after 17.
type step struct {
	opset  int
	change change
	reason string // for refused
}

// changes lists, for every operator opsetup knows, its versions at opsets
// 18 to 21 (the ONNX changelog, docs/Changelog.md, "Version 18" to "Version
// 21 of the default ONNX operator set"). An operator with no entry here
// stops the upgrade: its changes are not known. Operators listed with no
// step have the same version from opset 17 to 21.
var changes = map[string][]step{
	// Unchanged from 17 to 21 (their next versions are at 22 or later,
	// or none).
	"Abs": nil, "Acos": nil, "Acosh": nil, "Add": nil, "And": nil, "ArgMax": nil, "ArgMin": nil,
	"Asin": nil, "Asinh": nil, "Atan": nil, "Atanh": nil, "BatchNormalization": nil, "Ceil": nil,
	"Celu": nil, "Clip": nil, "Concat": nil, "Conv": nil, "ConvTranspose": nil, "Cos": nil, "Cosh": nil,
	"CumSum": nil, "DepthToSpace": nil, "Div": nil, "Dropout": nil, "Einsum": nil, "Elu": nil, "Erf": nil,
	"Exp": nil, "Expand": nil, "Floor": nil, "Gather": nil, "GatherElements": nil, "GatherND": nil,
	"Gemm": nil, "GlobalAveragePool": nil, "GlobalLpPool": nil, "GlobalMaxPool": nil, "Greater": nil,
	"GreaterOrEqual": nil, "HardSigmoid": nil, "HardSwish": nil, "Hardmax": nil,
	"InstanceNormalization": nil, "LRN": nil, "LayerNormalization": nil, "LeakyRelu": nil, "Less": nil,
	"LessOrEqual": nil, "Log": nil, "LogSoftmax": nil, "LpNormalization": nil, "MatMul": nil, "Max": nil,
	"MaxPool": nil, "Mean": nil, "Min": nil, "Mod": nil, "Mul": nil, "Neg": nil, "NonZero": nil, "Not": nil,
	"OneHot": nil, "Or": nil, "PRelu": nil, "Pow": nil, "Range": nil, "Reciprocal": nil, "ReduceSum": nil,
	"Relu": nil, "Round": nil, "Selu": nil, "Shrink": nil, "Sigmoid": nil, "Sign": nil, "Sin": nil, "Sinh": nil,
	"Slice": nil, "Softmax": nil, "Softplus": nil, "Softsign": nil, "SpaceToDepth": nil, "Sqrt": nil,
	"Sub": nil, "Sum": nil, "Tan": nil, "Tanh": nil, "ThresholdedRelu": nil, "Tile": nil, "TopK": nil,
	"Trilu": nil, "Where": nil, "Xor": nil,
	// New at 18 and 20, for models of those opsets upgraded further.
	"Mish": nil, "Gelu": nil,

	// Opset 18: the reductions take their axes as an input; Pad gains an
	// optional axes input, Resize the attributes antialias, axes and
	// keep_aspect_ratio_policy, ScatterND and ScatterElements the
	// reductions max and min, LpPool ceil_mode, Split num_outputs.
	"ReduceL1":        {{opset: 18, change: axesToInput}},
	"ReduceL2":        {{opset: 18, change: axesToInput}},
	"ReduceLogSum":    {{opset: 18, change: axesToInput}},
	"ReduceLogSumExp": {{opset: 18, change: axesToInput}},
	"ReduceMax":       {{opset: 18, change: axesToInput}, {opset: 20}}, // 20: bool inputs
	"ReduceMean":      {{opset: 18, change: axesToInput}},
	"ReduceMin":       {{opset: 18, change: axesToInput}, {opset: 20}},
	"ReduceProd":      {{opset: 18, change: axesToInput}},
	"ReduceSumSquare": {{opset: 18, change: axesToInput}},
	"Split":           {{opset: 18, change: splitOutputs}},
	"ScatterND":       {{opset: 18}},
	"ScatterElements": {{opset: 18}},
	"LpPool":          {{opset: 18}},
	// 19: Pad's mode wrap; 21: int4, uint4 and float8 types.
	"Pad": {{opset: 18}, {opset: 19}, {opset: 21}},
	// 19: the coordinate transformation half_pixel_symmetric.
	"Resize": {{opset: 18}, {opset: 19}},

	// Opset 19: float8 types (Cast and CastLike gain saturate, which only
	// applies to float8), Equal strings, AveragePool dilations.
	"AveragePool": {{opset: 19}},
	"Equal":       {{opset: 19}},
	// Opset 21: int4 and uint4 types.
	"Cast":      {{opset: 19}, {opset: 21}},
	"CastLike":  {{opset: 19}, {opset: 21}},
	"Constant":  {{opset: 19}, {opset: 21}},
	"Identity":  {{opset: 19}, {opset: 21}},
	"Reshape":   {{opset: 19}, {opset: 21}},
	"Shape":     {{opset: 19}, {opset: 21}},
	"Size":      {{opset: 19}, {opset: 21}},
	"Flatten":   {{opset: 21}},
	"Squeeze":   {{opset: 21}},
	"Transpose": {{opset: 21}},
	"Unsqueeze": {{opset: 21}},

	// Opset 20: float8 types for ConstantOfShape (21: int4), bool for
	// ReduceMax and ReduceMin (above), float8 for IsInf and IsNaN.
	"ConstantOfShape": {{opset: 20}, {opset: 21}},
	"IsInf":           {{opset: 20}},
	"IsNaN":           {{opset: 20}},

	// Breaking changes opsetup leaves to the ONNX version converter.
	"GridSample": {{opset: 20, change: refused, reason: "GridSample-20 renames its modes (bilinear to linear, bicubic to cubic)"}},
	"DFT":        {{opset: 20, change: refused, reason: "DFT-20 takes its axis as an input"}},
	"GroupNormalization": {{opset: 21, change: refused,
		reason: "GroupNormalization-21 takes scale and bias per channel instead of per group"}},
}

// minIRVersion is the IR version each opset needs (onnx.helper's
// VERSION_TABLE: ONNX 1.13 wrote opset 18 with IR 8, 1.14 and 1.15 opsets
// 19 and 20 with IR 9, 1.16 opset 21 with IR 10).
var minIRVersion = map[int]uint64{18: 8, 19: 9, 20: 9, 21: 10}
