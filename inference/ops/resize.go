package ops

import (
	"fmt"
	"math"

	"camscope/inference/tensor"
)

func init() {
	register("Resize", buildResize, differentiable)
	register("Upsample", buildUpsample, differentiable)
}

// resize holds Resize's attributes. Interpolation is separable: along each
// axis every output index gets a few input taps and weights, worked out by
// the spec's reference rules, and the axes are processed one after another.
type resize struct {
	op          string
	mode        string // nearest, linear, cubic
	coord       string // coordinate_transformation_mode
	nearest     string // nearest_mode
	cubicA      float64
	exclude     bool
	extrapolate float32
	antialias   bool
	policy      string // keep_aspect_ratio_policy
	axes        []int64
	opset       int
	attrScales  []float32 // Upsample before opset 9
}

func buildResize(n *Node) (Op, error) {
	r := &resize{op: "Resize", opset: n.Opset, coord: "half_pixel", nearest: "round_prefer_floor"}
	var err error
	get := func(name, def string) string {
		if err != nil {
			return ""
		}
		var s string
		s, err = n.Attrs.String(name, def)
		return s
	}
	r.mode = get("mode", "nearest")
	if n.Opset >= 11 {
		r.coord = get("coordinate_transformation_mode", "half_pixel")
		r.nearest = get("nearest_mode", "round_prefer_floor")
	} else {
		// Opset 10 resizes as Upsample did.
		r.coord, r.nearest = "asymmetric", "floor"
	}
	r.policy = get("keep_aspect_ratio_policy", "stretch")
	if err != nil {
		return nil, fmt.Errorf("Resize: %w", err)
	}
	a, err := n.Attrs.Float("cubic_coeff_a", -0.75)
	if err != nil {
		return nil, fmt.Errorf("Resize: %w", err)
	}
	r.cubicA = float64(a)
	if r.extrapolate, err = n.Attrs.Float("extrapolation_value", 0); err != nil {
		return nil, fmt.Errorf("Resize: %w", err)
	}
	for name, dst := range map[string]*bool{"exclude_outside": &r.exclude, "antialias": &r.antialias} {
		v, err := n.Attrs.Int(name, 0)
		if err != nil {
			return nil, fmt.Errorf("Resize: %w", err)
		}
		*dst = v != 0
	}
	if r.axes, err = n.Attrs.Ints("axes", nil); err != nil {
		return nil, fmt.Errorf("Resize: %w", err)
	}
	return r, r.check()
}

// buildUpsample: Upsample (opsets 7 to 9) is Resize with asymmetric
// coordinates, scales from an attribute (7) or input 1 (9).
func buildUpsample(n *Node) (Op, error) {
	mode, err := n.Attrs.String("mode", "nearest")
	if err != nil {
		return nil, fmt.Errorf("Upsample: %w", err)
	}
	r := &resize{op: "Upsample", mode: mode, coord: "asymmetric", nearest: "floor", cubicA: -0.75, opset: n.Opset, policy: "stretch"}
	if n.Opset < 9 {
		if r.attrScales, err = n.Attrs.Floats("scales", nil); err != nil {
			return nil, fmt.Errorf("Upsample: %w", err)
		}
		if r.attrScales == nil {
			return nil, fmt.Errorf("Upsample: attribute scales is missing")
		}
	}
	return r, r.check()
}

func (r *resize) check() error {
	switch r.mode {
	case "nearest", "linear", "cubic":
	case "bilinear": // Upsample-7's name for it
		r.mode = "linear"
	default:
		return fmt.Errorf("%s: unknown mode %q", r.op, r.mode)
	}
	switch r.coord {
	case "half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize", "half_pixel_symmetric":
	default:
		return fmt.Errorf("%s: unknown coordinate_transformation_mode %q", r.op, r.coord)
	}
	switch r.nearest {
	case "round_prefer_floor", "round_prefer_ceil", "floor", "ceil":
	default:
		return fmt.Errorf("%s: unknown nearest_mode %q", r.op, r.nearest)
	}
	switch r.policy {
	case "stretch", "not_larger", "not_smaller":
	default:
		return fmt.Errorf("%s: unknown keep_aspect_ratio_policy %q", r.op, r.policy)
	}
	if r.antialias && r.mode == "nearest" {
		return fmt.Errorf("%s: antialias applies to linear and cubic modes only", r.op)
	}
	return nil
}

// plan works out, for every axis, the output size and the scale used by
// the coordinate transform, from scales or sizes (with axes and the
// aspect-ratio policy).
func (r *resize) plan(x *tensor.Tensor, roi, scales, sizes []float64) (out []int, scale []float64, roiFull []float64, err error) {
	rank := x.Rank()
	axes := make([]int, rank)
	for i := range axes {
		axes[i] = i
	}
	if r.axes != nil {
		if axes, err = normAxes(r.op, r.axes, rank); err != nil {
			return nil, nil, nil, err
		}
	}
	out = append([]int{}, x.Shape...)
	scale = make([]float64, rank)
	for i := range scale {
		scale[i] = 1
	}
	roiFull = make([]float64, 2*rank)
	for i := 0; i < rank; i++ {
		roiFull[rank+i] = 1
	}
	if roi != nil {
		if len(roi) != 2*len(axes) {
			return nil, nil, nil, fmt.Errorf("%s: roi has %d values for %d axes", r.op, len(roi), len(axes))
		}
		for i, a := range axes {
			roiFull[a], roiFull[rank+a] = roi[i], roi[len(axes)+i]
		}
	}
	switch {
	case sizes != nil:
		if len(sizes) != len(axes) {
			return nil, nil, nil, fmt.Errorf("%s: sizes has %d values for %d axes", r.op, len(sizes), len(axes))
		}
		for i, a := range axes {
			if sizes[i] <= 0 || x.Shape[a] == 0 {
				return nil, nil, nil, fmt.Errorf("%s: cannot resize dimension %d of %s to %v", r.op, a, tensor.ShapeString(x.Shape), sizes[i])
			}
			scale[a] = sizes[i] / float64(x.Shape[a])
			out[a] = int(sizes[i])
		}
		if r.policy != "stretch" {
			s := scale[axes[0]]
			for _, a := range axes {
				if r.policy == "not_larger" {
					s = math.Min(s, scale[a])
				} else {
					s = math.Max(s, scale[a])
				}
			}
			for _, a := range axes {
				scale[a] = s
				out[a] = int(s*float64(x.Shape[a]) + 0.5)
			}
		}
	case scales != nil:
		if len(scales) != len(axes) {
			return nil, nil, nil, fmt.Errorf("%s: scales has %d values for %d axes", r.op, len(scales), len(axes))
		}
		for i, a := range axes {
			if !(scales[i] > 0) {
				return nil, nil, nil, fmt.Errorf("%s: scale %v must be positive", r.op, scales[i])
			}
			scale[a] = scales[i]
			out[a] = int(math.Floor(scales[i] * float64(x.Shape[a])))
		}
	default:
		return nil, nil, nil, fmt.Errorf("%s: neither scales nor sizes is given", r.op)
	}
	return out, scale, roiFull, nil
}

func floats(t *tensor.Tensor) []float64 {
	if t == nil || t.Len() == 0 {
		return nil
	}
	return t.Float64s()
}

func (r *resize) Run(budget Budget, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := required(r.op, inputs, 1); err != nil {
		return nil, err
	}
	x := inputs[0]
	var roi, scales, sizes []float64
	switch {
	case r.op == "Upsample" && r.opset < 9:
		for _, s := range r.attrScales {
			scales = append(scales, float64(s))
		}
	case r.op == "Upsample" || r.opset < 11:
		scales = floats(in(inputs, 1))
	default:
		roi, scales, sizes = floats(in(inputs, 1)), floats(in(inputs, 2)), floats(in(inputs, 3))
	}
	if r.coord != "tf_crop_and_resize" {
		roi = nil
	}
	out, scale, roiFull, err := r.plan(x, roi, scales, sizes)
	if err != nil {
		return nil, err
	}
	if err := budget.checkSize(r.op, tensor.Float32, out); err != nil {
		return nil, err
	}
	cur := x
	if cur.DType == tensor.Int64 {
		cur = &tensor.Tensor{Shape: x.Shape, F: toFloat32(x.I)}
	}
	outside := make([][]bool, x.Rank())
	for a := 0; a < x.Rank(); a++ {
		if out[a] == x.Shape[a] && scale[a] == 1 && r.coord != "tf_crop_and_resize" {
			continue
		}
		taps, out1 := r.taps(x.Shape[a], out[a], scale[a], roiFull[a], roiFull[x.Rank()+a])
		outside[a] = out1
		cur = resizeAxis(cur, a, out[a], taps)
	}
	if r.coord == "tf_crop_and_resize" {
		markOutside(cur, outside, r.extrapolate)
	}
	if x.DType == tensor.Int64 {
		res := tensor.NewInt64(cur.Shape...)
		for i, v := range cur.F {
			res.I[i] = int64(math.Round(float64(v)))
		}
		return one(res), nil
	}
	if cur == x {
		cur = alias(x, x.Shape)
	}
	return one(cur), nil
}

func toFloat32(v []int64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// interp is one output index's taps along an axis: input indices and
// their weights.
type interp struct {
	idx []int
	w   []float64
}

// taps works out the interpolation of an axis of size n into size m; the
// second result flags output indices that tf_crop_and_resize puts outside
// the input.
func (r *resize) taps(n, m int, scale, roiStart, roiEnd float64) ([]interp, []bool) {
	res := make([]interp, m)
	var outside []bool
	outW := scale * float64(n) // the spec's reference uses the unrounded size
	for o := 0; o < m; o++ {
		x := float64(o)
		var xo float64
		switch r.coord {
		case "align_corners":
			if outW != 1 {
				xo = x * float64(n-1) / (outW - 1)
			}
		case "asymmetric":
			xo = x / scale
		case "tf_half_pixel_for_nn":
			xo = (x + 0.5) / scale
		case "pytorch_half_pixel":
			xo = -0.5
			if outW != 1 {
				xo = (x+0.5)/scale - 0.5
			}
		case "half_pixel_symmetric":
			adj := float64(m) / outW
			xo = float64(n)/2*(1-adj) + (x+0.5)/scale - 0.5
		case "tf_crop_and_resize":
			if outW == 1 {
				xo = (roiEnd - roiStart) * float64(n-1) / 2
			} else {
				xo = x * (roiEnd - roiStart) * float64(n-1) / (outW - 1)
			}
			xo += roiStart * float64(n-1)
			if xo < 0 || xo > float64(n-1) {
				if outside == nil {
					outside = make([]bool, m)
				}
				outside[o] = true
				res[o] = interp{idx: []int{0}, w: []float64{0}}
				continue
			}
		default: // half_pixel
			xo = (x+0.5)/scale - 0.5
		}
		res[o] = r.tapsAt(xo, n, scale)
	}
	return res, outside
}

// tapsAt follows the reference: the taps are the len(coeffs) input indices
// nearest xo, preferring those to the left, so that the fractional part
// ratio lies in (0, 1]; indices past either edge repeat the edge value.
func (r *resize) tapsAt(xo float64, n int, scale float64) interp {
	xi := math.Floor(xo)
	ratio := xo - xi
	if ratio == 0 {
		xi, ratio = xi-1, 1
	}
	coeffs := r.coeffs(ratio, scale)
	first := int(xi) - len(coeffs)/2 + 1
	t := interp{idx: make([]int, len(coeffs)), w: coeffs}
	sum := 0.0
	for j := range coeffs {
		i := first + j
		if r.exclude && (i < 0 || i >= n) {
			coeffs[j] = 0
		}
		sum += coeffs[j]
		t.idx[j] = min(max(i, 0), n-1)
	}
	if r.exclude && sum != 0 {
		for j := range coeffs {
			coeffs[j] /= sum
		}
	}
	return t
}

func (r *resize) coeffs(ratio, scale float64) []float64 {
	switch r.mode {
	case "nearest":
		if ratio == 1 {
			return []float64{0, 1}
		}
		right := false
		switch r.nearest {
		case "round_prefer_floor":
			right = ratio > 0.5
		case "round_prefer_ceil":
			right = ratio >= 0.5
		case "ceil":
			right = true
		}
		if right {
			return []float64{0, 1}
		}
		return []float64{1, 0}
	case "linear":
		if !r.antialias {
			return []float64{1 - ratio, ratio}
		}
		s := math.Min(scale, 1)
		start := int(math.Floor(-1/s) + 1)
		c := make([]float64, 2-2*start)
		sum := 0.0
		for i := range c {
			c[i] = math.Max(0, math.Min(1, 1-math.Abs((float64(start+i)-ratio)*s)))
			sum += c[i]
		}
		for i := range c {
			c[i] /= sum
		}
		return c
	}
	a := r.cubicA
	if !r.antialias {
		return []float64{
			((a*(ratio+1)-5*a)*(ratio+1)+8*a)*(ratio+1) - 4*a,
			((a+2)*ratio-(a+3))*ratio*ratio + 1,
			((a+2)*(1-ratio)-(a+3))*(1-ratio)*(1-ratio) + 1,
			((a*(2-ratio)-5*a)*(2-ratio)+8*a)*(2-ratio) - 4*a,
		}
	}
	s := math.Min(scale, 1)
	start := int(math.Floor(-2/s) + 1)
	c := make([]float64, 2-2*start)
	sum := 0.0
	for i := range c {
		x := math.Abs(s * (float64(start+i) - ratio))
		switch {
		case x <= 1:
			c[i] = (a+2)*x*x*x - (a+3)*x*x + 1
		case x < 2:
			c[i] = a*x*x*x - 5*a*x*x + 8*a*x - 4*a
		}
		sum += c[i]
	}
	for i := range c {
		c[i] /= sum
	}
	return c
}

// resizeAxis interpolates float tensor t along axis into size m.
func resizeAxis(t *tensor.Tensor, axis, m int, taps []interp) *tensor.Tensor {
	shape := append([]int{}, t.Shape...)
	shape[axis] = m
	out := tensor.New(shape...)
	outer, n, inner := axisView(t.Shape, axis)
	acc := make([]float64, inner)
	for o := 0; o < outer; o++ {
		src := t.F[o*n*inner : (o+1)*n*inner]
		for j, tp := range taps {
			clear(acc)
			for k, i := range tp.idx {
				w := tp.w[k]
				if w == 0 {
					continue
				}
				for q, v := range src[i*inner : (i+1)*inner] {
					acc[q] += w * float64(v)
				}
			}
			dst := out.F[(o*m+j)*inner : (o*m+j+1)*inner]
			for q, v := range acc {
				dst[q] = float32(v)
			}
		}
	}
	return out
}

// markOutside sets to value every element whose index along some axis was
// flagged as outside the cropped input.
func markOutside(t *tensor.Tensor, outside [][]bool, value float32) {
	st := tensor.Strides(t.Shape)
	for i := range t.F {
		for a, flags := range outside {
			if flags != nil && flags[i/st[a]%t.Shape[a]] {
				t.F[i] = value
				break
			}
		}
	}
}

// VJP: nearest resizing only copies input elements (traceVJP).
func (r *resize) VJP(p *Pass, gs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return firstOutput(p, gs, func(p *Pass, g *tensor.Tensor) ([]*tensor.Tensor, error) {
		if r.mode != "nearest" {
			return nil, fmt.Errorf("%w for mode %q (only nearest)", ErrNoVJP, r.mode)
		}
		return traceVJP(r, p, g)
	})
}
