package session

import (
	"errors"
	"fmt"

	"camscope/inference"
	"camscope/inference/cam"
)

// modelHint is what to do about a model that did not open, after the
// sentence that says what is wrong with it: a model CAMscope cannot run
// yet is not the user's mistake in the way a file that is no model is.
func modelHint(err error) string {
	switch {
	case errors.Is(err, inference.ErrUnsupported):
		return "CAMscope's engine cannot run this model yet. Export it again with standard ONNX operators " +
			"(opset 13 to 21), or open another classifier."
	case errors.Is(err, inference.ErrOpset):
		return fmt.Sprintf("Export the model again at an ONNX opset from %d to %d, or open another classifier.", inference.MinOpset, inference.MaxOpset)
	case errors.Is(err, cam.ErrNoClassifier):
		return "Open an image classifier: a model with one image input and a score per class as its output."
	case errors.Is(err, inference.ErrTooLarge):
		return "Open a smaller model."
	}
	return "Open an image classifier with one image input (a .onnx or .tflite file)."
}
