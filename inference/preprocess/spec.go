package preprocess

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ResizeMode says how a photo is fitted to the model's input size.
type ResizeMode string

const (
	// Stretch resizes the whole photo to Width x Height; the aspect ratio is
	// not kept. TF-slim and TFLite classifiers were evaluated this way.
	Stretch ResizeMode = "stretch"
	// CenterCrop resizes the shorter side to floor(side / CropFraction)
	// keeping the aspect ratio, then crops the centre Width x Height
	// (torchvision's Resize + CenterCrop; 224 / 0.875 = 256).
	CenterCrop ResizeMode = "center-crop"
	// SquareCrop cuts the centred square of side
	// floor(min(photo w, h) * CropFraction) out of the photo, then resizes it
	// to Width x Height (TF/Keras-style "central crop"; with CropFraction 1
	// it is how the center-crop numbers in shared/images/expected.json were
	// made).
	SquareCrop ResizeMode = "square-crop"
)

// Layout is the order of the tensor's dimensions.
type Layout string

const (
	NCHW Layout = "NCHW" // [1, 3, H, W], PyTorch and most ONNX exports
	NHWC Layout = "NHWC" // [1, H, W, 3], TensorFlow and Keras exports
)

// DefaultCropFraction is torchvision's 224/256, the CenterCrop default;
// SquareCrop defaults to 1 (the largest centred square).
const DefaultCropFraction = 0.875

// crops reports whether the mode uses CropFraction.
func (m ResizeMode) crops() bool { return m == CenterCrop || m == SquareCrop }

// defaultCropFraction is the fraction a mode uses when none is given.
func (m ResizeMode) defaultCropFraction() float64 {
	if m == SquareCrop {
		return 1
	}
	return DefaultCropFraction
}

// Spec says how a photo becomes a model input tensor.
//
// Every channel value is x = (p/255 - Mean[c]) / Std[c], where p is the 8-bit
// pixel value after resizing. Mean and Std are listed in the tensor's channel
// order: R, G, B, or B, G, R when BGR is set (as Caffe and OpenCV write them).
// Common ranges: [0,1] is mean 0, std 1; [-1,1] is mean 0.5, std 0.5;
// [0,255] is mean 0, std 1/255; ImageNet is mean 0.485, 0.456, 0.406 and
// std 0.229, 0.224, 0.225.
//
// The JSON field names are those of the sidecar file, so a report can show
// the spec in the form a user would write it.
type Spec struct {
	Width  int        `json:"width"`
	Height int        `json:"height"`
	Resize ResizeMode `json:"resize"`
	// CropFraction is used by CenterCrop and SquareCrop only: the crop
	// covers this fraction of the (resized) shorter side. In (0, 1].
	CropFraction float64    `json:"crop_fraction,omitempty"`
	Mean         [3]float64 `json:"mean"`
	Std          [3]float64 `json:"std"`
	BGR          bool       `json:"bgr"`
	Layout       Layout     `json:"layout"`
}

// Sentinel errors; wrapped with detail.
var (
	ErrSpec   = errors.New("preprocess: invalid preprocessing")
	ErrLabels = errors.New("preprocess: labels do not fit the model")
)

// Named value ranges, as accepted by ParseRange.
var ranges = map[string][2][3]float64{
	"0,1":      {{0, 0, 0}, {1, 1, 1}},
	"-1,1":     {{0.5, 0.5, 0.5}, {0.5, 0.5, 0.5}},
	"0,255":    {{0, 0, 0}, {1.0 / 255, 1.0 / 255, 1.0 / 255}},
	"imagenet": {{0.485, 0.456, 0.406}, {0.229, 0.224, 0.225}},
}

// ParseRange turns a named value range into Mean and Std: "0,1", "-1,1",
// "0,255" (brackets and spaces allowed, e.g. "[-1, 1]") or "imagenet".
func ParseRange(s string) (mean, std [3]float64, err error) {
	k := strings.ToLower(strings.NewReplacer(" ", "", "[", "", "]", "", "(", "", ")", "").Replace(s))
	r, ok := ranges[k]
	if !ok {
		return mean, std, fmt.Errorf("%w: unknown value range %q; use one of [0,1], [-1,1], [0,255], imagenet, or give mean and std", ErrSpec, s)
	}
	return r[0], r[1], nil
}

// TFSlim is the TF-slim / TFLite convention (1001 classes, class 0 is
// background): whole-image resize to size x size, values in [-1, 1], NCHW.
func TFSlim(size int) Spec {
	return Spec{Width: size, Height: size, Resize: Stretch,
		Mean: [3]float64{0.5, 0.5, 0.5}, Std: [3]float64{0.5, 0.5, 0.5}, Layout: NCHW}
}

// Torchvision is the torchvision ImageNet convention (1000 classes): center
// crop 0.875, ImageNet mean and std, RGB, NCHW.
func Torchvision(size int) Spec {
	return Spec{Width: size, Height: size, Resize: CenterCrop, CropFraction: DefaultCropFraction,
		Mean: [3]float64{0.485, 0.456, 0.406}, Std: [3]float64{0.229, 0.224, 0.225}, Layout: NCHW}
}

// maxSide bounds the input size; no image classifier takes more.
const maxSide = 8192

// Validate reports the first thing wrong with s, as a sentence.
func (s Spec) Validate() error {
	switch {
	case s.Width <= 0 || s.Height <= 0:
		return fmt.Errorf("%w: input size %dx%d; width and height must be positive", ErrSpec, s.Width, s.Height)
	case s.Width > maxSide || s.Height > maxSide:
		return fmt.Errorf("%w: input size %dx%d is larger than %d", ErrSpec, s.Width, s.Height, maxSide)
	}
	switch s.Resize {
	case Stretch:
	case CenterCrop, SquareCrop:
		if !(s.CropFraction > 0 && s.CropFraction <= 1) {
			return fmt.Errorf("%w: crop fraction %v must be in (0, 1], e.g. 0.875", ErrSpec, s.CropFraction)
		}
	default:
		return fmt.Errorf("%w: resize mode %q; use %q, %q or %q", ErrSpec, s.Resize, Stretch, CenterCrop, SquareCrop)
	}
	switch s.Layout {
	case NCHW, NHWC:
	default:
		return fmt.Errorf("%w: layout %q; use NCHW or NHWC", ErrSpec, s.Layout)
	}
	for c := range 3 {
		if s.Std[c] == 0 || math.IsNaN(s.Std[c]) || math.IsInf(s.Std[c], 0) {
			return fmt.Errorf("%w: std %v: every channel's std must be a non-zero number", ErrSpec, s.Std)
		}
		if math.IsNaN(s.Mean[c]) || math.IsInf(s.Mean[c], 0) {
			return fmt.Errorf("%w: mean %v is not a number", ErrSpec, s.Mean)
		}
	}
	return nil
}

// InputShape is the tensor shape s produces: [1,3,H,W] or [1,H,W,3].
func (s Spec) InputShape() []int {
	if s.Layout == NHWC {
		return []int{1, s.Height, s.Width, 3}
	}
	return []int{1, 3, s.Height, s.Width}
}

// String describes s in one line, for logs and reports.
func (s Spec) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%dx%d %s", s.Width, s.Height, s.Resize)
	if s.Resize.crops() {
		fmt.Fprintf(&b, " %s", strconv.FormatFloat(s.CropFraction, 'g', -1, 64))
	}
	order := "RGB"
	if s.BGR {
		order = "BGR"
	}
	fmt.Fprintf(&b, ", x = (p/255 - %s) / %s, %s %s", fmtTriple(s.Mean), fmtTriple(s.Std), order, s.Layout)
	return b.String()
}

func fmtTriple(v [3]float64) string {
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }
	if v[0] == v[1] && v[1] == v[2] {
		return f(v[0])
	}
	return "[" + f(v[0]) + " " + f(v[1]) + " " + f(v[2]) + "]"
}
