package preprocess

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Patterns for the free-text "preprocessing" metadata. Each recognises one
// way people write one fact; anything else is left to the next level.
var (
	reSize       = regexp.MustCompile(`\b(\d{1,4})\s*[x×]\s*(\d{1,4})\b`)
	reCenterCrop = regexp.MustCompile(`(?i)\bcent(?:er|re)[ _-]?crop`)
	reSquare     = regexp.MustCompile(`(?i)\bcent(?:er|re)(?:d)?[ _-]?square`)
	reCropFrac   = regexp.MustCompile(`(?i)\bcrop[ _-]?(?:fraction|pct|ratio)\s*[=:]?\s*([0-9]*\.?[0-9]+)`)
	reShortSide  = regexp.MustCompile(`(?i)\bresiz\w*\s+(?:the\s+)?(?:shorter|short|smaller|short(?:est)?)\s+(?:side|edge)\s+to\s+(\d+)`)
	reCropSize   = regexp.MustCompile(`(?i)\bcrop(?:ped|ping|s)?\s+(?:(?:the\s+)?(?:cent(?:er|re)|middle)\s+)?(?:to\s+)?(\d{1,4})(?:\s*[x×]\s*(\d{1,4}))?\b`)
	reFormula    = regexp.MustCompile(`(?i)\(\s*(?:pixel|p|x|value|img)\s*-\s*([0-9]*\.?[0-9]+)\s*\)\s*/\s*([0-9]*\.?[0-9]+)`)
	reMean       = regexp.MustCompile(`(?i)\bmean\s*[=:]?\s*[\[(]\s*([-0-9.eE]+)\s*,\s*([-0-9.eE]+)\s*,\s*([-0-9.eE]+)\s*[\])]`)
	reStd        = regexp.MustCompile(`(?i)\bstd\s*[=:]?\s*[\[(]\s*([-0-9.eE]+)\s*,\s*([-0-9.eE]+)\s*,\s*([-0-9.eE]+)\s*[\])]`)
	reRange      = regexp.MustCompile(`(?i)\brange\s*[=:]?\s*\[\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*\]`)
	reResizeTo   = regexp.MustCompile(`(?i)\bresiz\w*\s+(?:\w+\s+){0,3}?to\s+\d+\s*[x×]\s*\d+`)
	reBGR        = regexp.MustCompile(`\bBGR\b`)
	reRGB        = regexp.MustCompile(`\bRGB\b`)
	reNCHW       = regexp.MustCompile(`\bNCHW\b`)
	reNHWC       = regexp.MustCompile(`\bNHWC\b`)
)

// MetadataKeys are the metadata_props keys read by ParseMetadata, in order;
// the first present is used. Matching ignores case.
var MetadataKeys = []string{"preprocessing", "preprocess", "image_preprocessing"}

// ParseMetadata reads what it reliably can from a model's free-text
// "preprocessing" metadata, e.g.
//
//	RGB image resized to 160x160; x = (pixel - 127.5) / 127.5 (range [-1,1]); float32 NCHW [1,3,160,160]
//
// Recognised: a size "WxH" (the first one); "center crop" with "crop
// fraction 0.875" or "resize shorter side to 256" plus "crop 224"; otherwise
// "resized to WxH" means stretch; "(pixel - a) / b", "mean [..] std [..]"
// (values above 1 are read as pixel-scale and divided by 255) or
// "range [lo,hi]" for [0,1], [-1,1], [0,255]; the words RGB or BGR, NCHW or
// NHWC. The notes say what was present but not understood.
func ParseMetadata(metadata map[string]string) (Options, []string) {
	var o Options
	var notes []string
	text, key := "", ""
	for _, k := range MetadataKeys {
		for mk, v := range metadata {
			if strings.EqualFold(mk, k) && strings.TrimSpace(v) != "" {
				text, key = v, mk
			}
		}
		if text != "" {
			break
		}
	}
	if text == "" {
		return o, nil
	}
	note := func(f string, a ...any) {
		notes = append(notes, fmt.Sprintf("metadata %q: ", key)+fmt.Sprintf(f, a...))
	}

	if m := reSize.FindStringSubmatch(text); m != nil {
		w, _ := strconv.Atoi(m[1])
		h, _ := strconv.Atoi(m[2])
		if w > 0 && h > 0 {
			o.Width, o.Height = w, h
		}
	}
	switch {
	case reSquare.MatchString(text):
		o.Resize = SquareCrop
	case reCenterCrop.MatchString(text) || reShortSide.MatchString(text):
		o.Resize = CenterCrop
		// The crop size is the input size: "center crop 224" or "crop 224x224".
		if mc := reCropSize.FindStringSubmatch(text); mc != nil {
			o.Width, _ = strconv.Atoi(mc[1])
			o.Height = o.Width
			if mc[2] != "" {
				o.Height, _ = strconv.Atoi(mc[2])
			}
		}
		if m := reCropFrac.FindStringSubmatch(text); m != nil {
			f, _ := strconv.ParseFloat(m[1], 64)
			if f > 1 && f <= 100 {
				f /= 100 // "crop_pct 87.5"
			}
			o.CropFraction = f
		} else if ms := reShortSide.FindStringSubmatch(text); ms != nil && o.Width > 0 {
			side, _ := strconv.Atoi(ms[1])
			if crop := max(o.Width, o.Height); side >= crop {
				o.CropFraction = float64(crop) / float64(side)
			}
		}
		if o.CropFraction == 0 {
			note("says center crop but gives no crop fraction; using %v", DefaultCropFraction)
		}
	case reResizeTo.MatchString(text) && !strings.Contains(strings.ToLower(text), "crop"):
		o.Resize = Stretch
	}

	mean, std := meanStd(text)
	for _, v := range std {
		if v == 0 {
			note("gives a std of 0; mean and std not taken from it")
			mean, std = nil, nil
			break
		}
	}
	switch {
	case mean != nil && std != nil:
		o.Mean, o.Std = mean, std
	default:
		if m := reRange.FindStringSubmatch(text); m != nil {
			r := m[1] + "," + m[2]
			if _, _, err := ParseRange(r); err == nil {
				o.Range = r
			} else {
				note("value range [%s] is not one of [0,1], [-1,1], [0,255]", r)
			}
		} else if mean != nil || std != nil {
			note("gives only one of mean and std")
		}
	}
	if o.Range == "" && o.Mean == nil && strings.Contains(strings.ToLower(text), "mean") {
		note("mentions a mean that could not be read")
	}

	if o.CropFraction < 0 || o.CropFraction > 1 {
		note("crop fraction %v is not in (0, 1]; not taken from it", o.CropFraction)
		o.CropFraction = 0
	}
	if o.Width > maxSide || o.Height > maxSide || (o.Width == 0) != (o.Height == 0) {
		note("size %dx%d not taken from it", o.Width, o.Height)
		o.Width, o.Height = 0, 0
	}

	bgr, rgb := reBGR.MatchString(text), reRGB.MatchString(text)
	switch {
	case bgr && rgb:
		note("mentions both RGB and BGR; channel order not taken from it")
	case bgr:
		o.BGR = new(true)
	case rgb:
		o.BGR = new(false)
	}
	nchw, nhwc := reNCHW.MatchString(text), reNHWC.MatchString(text)
	switch {
	case nchw && !nhwc:
		o.Layout = NCHW
	case nhwc && !nchw:
		o.Layout = NHWC
	}
	return o, notes
}

// meanStd finds "(pixel - a) / b" or "mean [...] std [...]" and returns them
// on the pixel/255 scale.
func meanStd(text string) (mean, std []float64) {
	if m := reFormula.FindStringSubmatch(text); m != nil {
		a, errA := strconv.ParseFloat(m[1], 64)
		b, errB := strconv.ParseFloat(m[2], 64)
		if errA == nil && errB == nil && b != 0 {
			if b > 1 || a > 1 {
				a, b = a/255, b/255
			}
			return []float64{a}, []float64{b}
		}
	}
	parse := func(m []string) []float64 {
		if m == nil {
			return nil
		}
		v := make([]float64, 3)
		for i := range 3 {
			f, err := strconv.ParseFloat(m[i+1], 64)
			if err != nil || math.IsInf(f, 0) {
				return nil
			}
			v[i] = f
		}
		return v
	}
	mean, std = parse(reMean.FindStringSubmatch(text)), parse(reStd.FindStringSubmatch(text))
	if mean != nil && std != nil && (mean[0] > 1 || mean[1] > 1 || mean[2] > 1) {
		for i := range 3 {
			mean[i] /= 255
			std[i] /= 255
		}
	}
	return mean, std
}
