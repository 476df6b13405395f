package preprocess

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// Sidecar is the optional JSON file next to a model, named after it with
// ".json" appended (resnet50.onnx -> resnet50.onnx.json). Every field is
// optional; unknown fields are an error so that typos do not pass silently.
//
//	{
//	  "labels": "synset_words.txt",
//	  "preprocessing": {
//	    "size": 224,
//	    "resize": "center-crop",
//	    "crop_fraction": 0.875,
//	    "range": "imagenet",
//	    "mean": [0.485, 0.456, 0.406],
//	    "std": [0.229, 0.224, 0.225],
//	    "bgr": false,
//	    "layout": "NCHW"
//	  }
//	}
//
// labels is a path relative to the sidecar's folder. size is a square side;
// use width and height for other inputs.
type Sidecar struct {
	Labels        string        `json:"labels,omitempty"`
	Preprocessing SidecarPrepro `json:"preprocessing"`
}

// SidecarPrepro is the "preprocessing" block of a Sidecar. Its fields mean
// what the Options fields of the same names mean.
type SidecarPrepro struct {
	Size         int        `json:"size,omitempty"`
	Width        int        `json:"width,omitempty"`
	Height       int        `json:"height,omitempty"`
	Resize       ResizeMode `json:"resize,omitempty"`
	CropFraction float64    `json:"crop_fraction,omitempty"`
	Range        string     `json:"range,omitempty"`
	Mean         []float64  `json:"mean,omitempty"`
	Std          []float64  `json:"std,omitempty"`
	BGR          *bool      `json:"bgr,omitempty"`
	Layout       Layout     `json:"layout,omitempty"`
}

// maxSidecarBytes keeps a wrongly chosen huge file from being read whole.
const maxSidecarBytes = 1 << 20

// SidecarPath returns MODEL.json for modelPath MODEL (e.g. x.onnx.json) if
// that file exists, else "".
func SidecarPath(modelPath string) string {
	p := modelPath + ".json"
	if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
		return p
	}
	return ""
}

// ReadSidecar reads and checks a sidecar file.
func ReadSidecar(path string) (*Sidecar, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read sidecar: %w", err)
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxSidecarBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read sidecar %s: %w", path, err)
	}
	if len(raw) > maxSidecarBytes {
		return nil, fmt.Errorf("sidecar %s is larger than 1 MiB; it should be a small JSON file", path)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var sc Sidecar
	if err := dec.Decode(&sc); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("sidecar %s is not valid JSON (at byte %d): %v", path, se.Offset, err)
		}
		return nil, fmt.Errorf("sidecar %s: %v (see inference/preprocess/README.md for the format)", path, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("sidecar %s holds more than one JSON value", path)
	}
	if _, err := sc.Preprocessing.choices(); err != nil {
		return nil, fmt.Errorf("sidecar %s: %w", path, err)
	}
	return &sc, nil
}

func (p SidecarPrepro) choices() (choices, error) {
	o := Options{Width: p.Width, Height: p.Height, Resize: p.Resize, CropFraction: p.CropFraction,
		Range: p.Range, Mean: p.Mean, Std: p.Std, BGR: p.BGR, Layout: p.Layout}
	if p.Size != 0 {
		if p.Width != 0 || p.Height != 0 {
			return choices{}, fmt.Errorf("%w: give either size or width and height", ErrSpec)
		}
		o.Width, o.Height = p.Size, p.Size
	}
	if o.Width < 0 || o.Height < 0 {
		return choices{}, fmt.Errorf("%w: input size %dx%d; width and height must be positive", ErrSpec, o.Width, o.Height)
	}
	if o.Resize != "" && o.Resize != Stretch && !o.Resize.crops() {
		return choices{}, fmt.Errorf("%w: resize %q; use %q, %q or %q", ErrSpec, o.Resize, Stretch, CenterCrop, SquareCrop)
	}
	return o.choices()
}
