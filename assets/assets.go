// Package assets holds the data CAMscope ships inside its binary.
package assets

import "embed"

// The built-in shape classifier, written by 'camscope train-shapes': an
// ONNX model whose metadata carries its labels and preprocessing, the same
// labels one per line, and one sample scene per class (sample_CLASS.png).
var (
	//go:embed shapes/shapes.onnx
	ShapesModel []byte

	//go:embed shapes/labels.txt
	ShapesLabels string

	//go:embed shapes/sample_*.png
	ShapesSamples embed.FS
)

// ImageNetLabels are the 1000 ImageNet class names, one per line in output
// order (see imagenet/NOTICE), stored next to every ImageNet classifier
// the app downloads.
//
//go:embed imagenet/labels.txt
var ImageNetLabels string

// MobileNetV2 is Google's quantized MobileNetV2 ImageNet classifier as a
// TensorFlow Lite file, unchanged, with its labels inside (see
// mobilenet/NOTICE for its source and licence): the built-in model for
// photos, which works offline.
//
//go:embed mobilenet/mobilenet_v2_1.0_224_quant.tflite
var MobileNetV2 []byte

// SamplePhotos are real photos the app's gallery opens with one click
// (samples/NAME.jpg), each under a licence that allows shipping it with
// credit (samples/NOTICE).
//
//go:embed samples/*.jpg
var SamplePhotos embed.FS
