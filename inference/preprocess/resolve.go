package preprocess

import (
	"fmt"
	"strings"
)

// Options are explicit choices (the CLI maps its flags onto them); zero
// values mean "not given". They win over the sidecar, the model metadata and
// the defaults.
type Options struct {
	Width, Height int
	Resize        ResizeMode
	CropFraction  float64
	// Range is a named value range as accepted by ParseRange ("-1,1",
	// "imagenet", ...); it sets Mean and Std. Mean or Std, if also given,
	// replace the range's.
	Range     string
	Mean, Std []float64 // 1 value (all channels) or 3 (tensor channel order)
	BGR       *bool
	Layout    Layout
}

// Origin names where a choice came from.
type Origin string

const (
	FromOptions    Origin = "options"     // explicit options (flags)
	FromSidecar    Origin = "sidecar"     // the JSON file next to the model
	FromMetadata   Origin = "metadata"    // the model's metadata_props
	FromInputShape Origin = "input-shape" // the model's declared input shape
	FromDefault    Origin = "default"     // the convention for the class count
)

// Source says where each part of a resolved Spec came from, for reports.
type Source struct {
	Size         Origin `json:"size"`
	Resize       Origin `json:"resize"`
	CropFraction Origin `json:"crop_fraction,omitempty"`
	Mean         Origin `json:"mean"`
	Std          Origin `json:"std"`
	ChannelOrder Origin `json:"channel_order"`
	Layout       Origin `json:"layout"`
	// Convention is the default convention chosen from the class count:
	// "tf-slim" or "torchvision".
	Convention string `json:"convention"`
	// Sidecar is the sidecar file that was read, if any.
	Sidecar string `json:"sidecar,omitempty"`
	// Notes are things worth telling the user, e.g. metadata text that was
	// not understood.
	Notes []string `json:"notes,omitempty"`
}

// choices is one level of preprocessing choices, all optional.
type choices struct {
	width, height int
	resize        ResizeMode
	cropFraction  float64
	mean, std     *[3]float64
	bgr           *bool
	layout        Layout
}

// Resolve decides the preprocessing for a model, taking each choice from the
// first of these that makes it:
//
//  1. overrides (explicit options),
//  2. the sidecar file at sidecarPath ("" for none; see SidecarPath),
//  3. the model's metadata_props "preprocessing" text (see ParseMetadata),
//  4. the input shape (size and layout) and the convention for numClasses:
//     1001 classes is TF-slim (stretch, [-1,1]); anything else torchvision
//     (center crop 0.875, ImageNet mean and std). Size 224 if the shape does
//     not fix it; RGB; NCHW unless the shape is [1,H,W,3].
//
// inputShape is the model's declared input shape, with dynamic dimensions
// as 0 or negative; nil if unknown. A size or layout that contradicts a fixed
// input shape is an error, as is a spec that fails Validate.
func Resolve(inputShape []int, numClasses int, metadata map[string]string, sidecarPath string, overrides Options) (Spec, Source, error) {
	var src Source
	shape, err := fromInputShape(inputShape)
	if err != nil {
		return Spec{}, src, err
	}
	opt, err := overrides.choices()
	if err != nil {
		return Spec{}, src, fmt.Errorf("options: %w", err)
	}
	var side choices
	if sidecarPath != "" {
		sc, err := ReadSidecar(sidecarPath)
		if err != nil {
			return Spec{}, src, err
		}
		if side, err = sc.Preprocessing.choices(); err != nil {
			return Spec{}, src, fmt.Errorf("sidecar %s: %w", sidecarPath, err)
		}
		src.Sidecar = sidecarPath
	}
	metaOpt, notes := ParseMetadata(metadata)
	meta, err := metaOpt.choices()
	if err != nil {
		notes = append(notes, fmt.Sprintf("model metadata ignored: %v", err))
		meta = choices{}
	}
	src.Notes = append(src.Notes, notes...)

	// The model's own shape outranks its free-text description.
	if shape.width > 0 && meta.width > 0 && (meta.width != shape.width || meta.height != shape.height) {
		src.Notes = append(src.Notes, fmt.Sprintf("metadata says %dx%d but the input shape %v fixes %dx%d; using the shape",
			meta.width, meta.height, inputShape, shape.width, shape.height))
		meta.width, meta.height = 0, 0
	}
	if shape.layout != "" && meta.layout != "" && meta.layout != shape.layout {
		src.Notes = append(src.Notes, fmt.Sprintf("metadata says %s but the input shape %v is %s; using the shape",
			meta.layout, inputShape, shape.layout))
		meta.layout = ""
	}

	var def Spec
	if numClasses == 1001 {
		def, src.Convention = TFSlim(224), "tf-slim"
	} else {
		def, src.Convention = Torchvision(224), "torchvision"
		if numClasses != 1000 {
			src.Notes = append(src.Notes, fmt.Sprintf("the model has %d classes, not 1000 or 1001; assuming torchvision preprocessing unless told otherwise", numClasses))
		}
	}

	levels := []struct {
		c choices
		o Origin
	}{{opt, FromOptions}, {side, FromSidecar}, {meta, FromMetadata}, {shape, FromInputShape}}
	s := def
	src.Size, src.Resize, src.CropFraction, src.Mean, src.Std, src.ChannelOrder, src.Layout =
		FromDefault, FromDefault, FromDefault, FromDefault, FromDefault, FromDefault, FromDefault
	// Walk from the weakest level up, so that stronger ones overwrite.
	for i := len(levels) - 1; i >= 0; i-- {
		c, o := levels[i].c, levels[i].o
		if c.width > 0 {
			s.Width, s.Height, src.Size = c.width, c.height, o
		}
		if c.resize != "" {
			s.Resize, src.Resize = c.resize, o
		}
		if c.cropFraction != 0 {
			s.CropFraction, src.CropFraction = c.cropFraction, o
		}
		if c.mean != nil {
			s.Mean, src.Mean = *c.mean, o
		}
		if c.std != nil {
			s.Std, src.Std = *c.std, o
		}
		if c.bgr != nil {
			s.BGR, src.ChannelOrder = *c.bgr, o
		}
		if c.layout != "" {
			s.Layout, src.Layout = c.layout, o
		}
	}
	if s.Resize.crops() && (s.CropFraction == 0 || src.CropFraction == FromDefault) {
		s.CropFraction = s.Resize.defaultCropFraction()
	}
	if !s.Resize.crops() {
		if opt.cropFraction != 0 {
			return Spec{}, src, fmt.Errorf("%w: the crop fraction %v was given, but the resize mode %s (from the %s) does not crop; ask for %s or %s too, or leave the crop fraction out",
				ErrSpec, opt.cropFraction, s.Resize, originName(src.Resize), CenterCrop, SquareCrop)
		}
		s.CropFraction, src.CropFraction = 0, ""
	}
	if shape.width > 0 && (s.Width != shape.width || s.Height != shape.height) {
		return Spec{}, src, fmt.Errorf("%w: the %s asks for %dx%d input but the model's input shape %v fixes %dx%d",
			ErrSpec, originName(src.Size), s.Width, s.Height, inputShape, shape.width, shape.height)
	}
	if shape.layout != "" && s.Layout != shape.layout {
		return Spec{}, src, fmt.Errorf("%w: the %s says %s but the model's input shape %v is %s",
			ErrSpec, originName(src.Layout), s.Layout, inputShape, shape.layout)
	}
	if err := s.Validate(); err != nil {
		return Spec{}, src, err
	}
	return s, src, nil
}

func originName(o Origin) string {
	switch o {
	case FromOptions:
		return "command line"
	case FromSidecar:
		return "sidecar file"
	case FromMetadata:
		return "model's preprocessing metadata"
	}
	return string(o)
}

// fromInputShape reads size and layout from [1,3,H,W] or [1,H,W,3].
func fromInputShape(shape []int) (choices, error) {
	var c choices
	if shape == nil {
		return c, nil
	}
	if len(shape) != 4 {
		return c, fmt.Errorf("%w: the model's input shape %v is not an image batch [1,3,H,W] or [1,H,W,3]", ErrSpec, shape)
	}
	var h, w int
	switch {
	case shape[1] == 3:
		c.layout, h, w = NCHW, shape[2], shape[3]
	case shape[3] == 3:
		c.layout, h, w = NHWC, shape[1], shape[2]
	case shape[1] > 0 && shape[3] > 0:
		return c, fmt.Errorf("%w: the model's input shape %v has no dimension of 3 colour channels; CAMscope feeds RGB photos", ErrSpec, shape)
	default:
		return c, nil
	}
	if h > 0 && w > 0 {
		c.width, c.height = w, h
	}
	return c, nil
}

// choices checks and converts explicit options.
func (o Options) choices() (choices, error) {
	c := choices{width: o.Width, height: o.Height, resize: o.Resize, cropFraction: o.CropFraction, bgr: o.BGR, layout: o.Layout}
	if (c.width > 0) != (c.height > 0) {
		return c, fmt.Errorf("%w: give both width and height (got %dx%d)", ErrSpec, c.width, c.height)
	}
	if c.layout != "" {
		l := Layout(strings.ToUpper(string(c.layout)))
		if l != NCHW && l != NHWC {
			return c, fmt.Errorf("%w: layout %q; use NCHW or NHWC", ErrSpec, o.Layout)
		}
		c.layout = l
	}
	if o.Range != "" {
		m, s, err := ParseRange(o.Range)
		if err != nil {
			return c, err
		}
		c.mean, c.std = &m, &s
	}
	var err error
	if o.Mean != nil {
		if c.mean, err = triple("mean", o.Mean); err != nil {
			return c, err
		}
	}
	if o.Std != nil {
		if c.std, err = triple("std", o.Std); err != nil {
			return c, err
		}
	}
	return c, nil
}

// triple accepts one value for all channels or one per channel.
func triple(name string, v []float64) (*[3]float64, error) {
	switch len(v) {
	case 1:
		return &[3]float64{v[0], v[0], v[0]}, nil
	case 3:
		return &[3]float64{v[0], v[1], v[2]}, nil
	}
	return nil, fmt.Errorf("%w: %s needs 1 or 3 values, got %d", ErrSpec, name, len(v))
}
