package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"camscope/inference/tensor"
)

// refConv2D pads the input explicitly and slides the kernel over it.
func refConv2D(x, w, b *tensor.Tensor, group, sh, sw, dh, dw, pt, pl, pb, pr int) *tensor.Tensor {
	n, c, h, wd := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	m, cg, kh, kw := w.Shape[0], w.Shape[1], w.Shape[2], w.Shape[3]
	ph, pw := h+pt+pb, wd+pl+pr
	padded := make([]float32, n*c*ph*pw)
	for i := 0; i < n*c; i++ {
		for y := 0; y < h; y++ {
			for xx := 0; xx < wd; xx++ {
				padded[(i*ph+y+pt)*pw+xx+pl] = x.F[(i*h+y)*wd+xx]
			}
		}
	}
	oh := (ph-dh*(kh-1)-1)/sh + 1
	ow := (pw-dw*(kw-1)-1)/sw + 1
	out := tensor.New(n, m, oh, ow)
	mg := m / group
	for in := 0; in < n; in++ {
		for om := 0; om < m; om++ {
			g := om / mg
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					var s float64
					if b != nil {
						s = float64(b.F[om])
					}
					for ic := 0; ic < cg; ic++ {
						for ky := 0; ky < kh; ky++ {
							for kx := 0; kx < kw; kx++ {
								v := padded[((in*c+g*cg+ic)*ph+oy*sh+ky*dh)*pw+ox*sw+kx*dw]
								s += float64(v) * float64(w.F[((om*cg+ic)*kh+ky)*kw+kx])
							}
						}
					}
					out.F[((in*m+om)*oh+oy)*ow+ox] = float32(s)
				}
			}
		}
	}
	return out
}

func TestConvSpecExample(t *testing.T) {
	// The example of the ONNX operator documentation: a 5x5 ramp, a 3x3
	// kernel of ones, with and without padding.
	x := iota32(1, 1, 5, 5)
	w := f32(dims(1, 1, 3, 3), 1, 1, 1, 1, 1, 1, 1, 1, 1)
	got := call{op: "Conv", attrs: Attrs{"kernel_shape": []int64{3, 3}, "pads": []int64{1, 1, 1, 1}}}.run(t, x, w)[0]
	expect(t, got, f32(dims(1, 1, 5, 5),
		12, 21, 27, 33, 24,
		33, 54, 63, 72, 51,
		63, 99, 108, 117, 81,
		93, 144, 153, 162, 111,
		72, 111, 117, 123, 84), 0)
	got = call{op: "Conv", attrs: Attrs{"kernel_shape": []int64{3, 3}}}.run(t, x, w)[0]
	expect(t, got, f32(dims(1, 1, 3, 3), 54, 63, 72, 99, 108, 117, 144, 153, 162), 0)
	// Strides 2, padding rows only, on a 7x5 ramp: rows r of three
	// columns sum to 15r+3 (columns 0-2) and 15r+9 (columns 2-4).
	got = call{op: "Conv", attrs: Attrs{"strides": []int64{2, 2}, "pads": []int64{1, 0, 1, 0}}}.run(t, iota32(1, 1, 7, 5), w)[0]
	expect(t, got, f32(dims(1, 1, 4, 2), 21, 33, 99, 117, 189, 207, 171, 183), 0)
}

func TestConvAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cases := map[string]struct {
		n, c, h, w, m, kh, kw, group, sh, sw, dh, dw int
		pads                                         []int64 // t, l, b, r
		autoPad                                      string
		bias, constant                               bool
	}{
		"plain":        {1, 3, 7, 6, 4, 3, 3, 1, 1, 1, 1, 1, []int64{0, 0, 0, 0}, "", true, true},
		"batch":        {2, 3, 5, 5, 2, 3, 3, 1, 1, 1, 1, 1, []int64{1, 1, 1, 1}, "", false, true},
		"grouped":      {1, 4, 6, 6, 6, 3, 3, 2, 2, 1, 1, 1, []int64{1, 0, 2, 1}, "", true, true},
		"depthwise":    {1, 5, 8, 7, 5, 3, 3, 5, 2, 2, 1, 1, []int64{1, 1, 1, 1}, "", true, true},
		"dilated":      {1, 2, 9, 9, 3, 3, 2, 1, 1, 2, 2, 3, []int64{2, 1, 0, 3}, "", true, false},
		"runtimeW":     {1, 2, 5, 5, 3, 2, 2, 1, 1, 1, 1, 1, []int64{0, 0, 0, 0}, "", true, false},
		"same_upper":   {1, 2, 7, 8, 3, 4, 3, 1, 2, 3, 1, 1, nil, "SAME_UPPER", false, true},
		"same_lower":   {1, 2, 7, 8, 3, 4, 3, 1, 2, 3, 1, 1, nil, "SAME_LOWER", true, true},
		"valid":        {1, 2, 7, 8, 3, 2, 3, 1, 2, 2, 1, 1, nil, "VALID", true, true},
		"pointwise":    {1, 8, 4, 4, 16, 1, 1, 1, 1, 1, 1, 1, nil, "", true, true},
		"same_dilated": {1, 1, 6, 6, 1, 3, 3, 1, 1, 1, 2, 2, nil, "SAME_UPPER", false, true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			x := randT(r, tc.n, tc.c, tc.h, tc.w)
			w := randT(r, tc.m, tc.c/tc.group, tc.kh, tc.kw)
			var b *tensor.Tensor
			inputs := []*tensor.Tensor{x, w}
			if tc.bias {
				b = randT(r, tc.m)
				inputs = append(inputs, b)
			}
			attrs := Attrs{"group": int64(tc.group), "strides": []int64{int64(tc.sh), int64(tc.sw)}, "dilations": []int64{int64(tc.dh), int64(tc.dw)}}
			pads := tc.pads
			if tc.autoPad != "" {
				attrs["auto_pad"] = tc.autoPad
				pads = []int64{0, 0, 0, 0}
				if tc.autoPad != "VALID" {
					// Worked out here independently: output ceil(in/stride),
					// the odd padding pixel at the end (upper) or start (lower).
					for i, d := range []struct{ in, k, s, dil int }{{tc.h, tc.kh, tc.sh, tc.dh}, {tc.w, tc.kw, tc.sw, tc.dw}} {
						out := (d.in + d.s - 1) / d.s
						total := max(0, (out-1)*d.s+(d.k-1)*d.dil+1-d.in)
						small, big := int64(total/2), int64(total-total/2)
						if tc.autoPad == "SAME_UPPER" {
							pads[i], pads[i+2] = small, big
						} else {
							pads[i], pads[i+2] = big, small
						}
					}
				}
			} else if pads != nil {
				attrs["pads"] = []int64{pads[0], pads[1], pads[2], pads[3]}
			}
			if pads == nil {
				pads = []int64{0, 0, 0, 0}
			}
			var consts []*tensor.Tensor
			if tc.constant {
				consts = append([]*tensor.Tensor{nil}, inputs[1:]...)
			}
			c := call{op: "Conv", attrs: attrs, consts: consts}
			want := refConv2D(x, w, b, tc.group, tc.sh, tc.sw, tc.dh, tc.dw, int(pads[0]), int(pads[1]), int(pads[2]), int(pads[3]))
			for range 2 { // the second run uses the cached kernel
				expect(t, c.run(t, inputs...)[0], want, 1e-5)
			}
		})
	}
}

func TestConv1D(t *testing.T) {
	x := f32(dims(1, 1, 5), 1, 2, 3, 4, 5)
	w := f32(dims(2, 1, 2), 1, 1, 1, -1)
	got := call{op: "Conv", attrs: Attrs{"pads": []int64{1, 0}}}.run(t, x, w, f32(dims(2), 0, 10))[0]
	expect(t, got, f32(dims(1, 2, 5), 1, 3, 5, 7, 9, 9, 9, 9, 9, 9), 0)
}

func TestConvErrors(t *testing.T) {
	x := tensor.New(1, 3, 5, 5)
	c := call{op: "Conv"}
	c.errorContains(t, "channels", x, tensor.New(2, 2, 3, 3))
	c.errorContains(t, "only 1-D and 2-D", tensor.New(1, 1, 4, 4, 4), tensor.New(1, 1, 2, 2, 2))
	c.errorContains(t, "bias", x, tensor.New(2, 3, 3, 3), tensor.New(3))
	c.errorContains(t, "does not fit", x, tensor.New(2, 3, 7, 7))
	call{op: "Conv", attrs: Attrs{"auto_pad": "SAME"}}.errorContains(t, "auto_pad", x, tensor.New(2, 3, 3, 3))
	call{op: "Conv", attrs: Attrs{"group": int64(2)}}.errorContains(t, "group", x, tensor.New(2, 3, 3, 3))
}

func TestConvConcurrent(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	w := randT(r, 4, 3, 3, 3)
	op, err := Build(&Node{OpType: "Conv", Opset: 13, Attrs: Attrs{"pads": []int64{1, 1, 1, 1}}, Consts: []*tensor.Tensor{nil, w}, NumOutputs: 1})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	for i := range 4 {
		go func() {
			x := randT(rand.New(rand.NewPCG(uint64(i), 0)), 1, 3, 6+i, 6)
			want := refConv2D(x, w, nil, 1, 1, 1, 1, 1, 1, 1, 1, 1)
			out, err := op.Run(NoBudget, []*tensor.Tensor{x, w})
			if err == nil && !sameTensor(out[0], want, 1e-5) {
				err = errorString("concurrent conv differs")
			}
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

func TestConvFusedActivation(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	x, w, b := randT(r, 1, 3, 6, 6), randT(r, 4, 3, 3, 3), randT(r, 4)
	plain := refConv2D(x, w, b, 1, 1, 1, 1, 1, 1, 1, 1, 1)
	attrs := Attrs{"pads": []int64{1, 1, 1, 1}}
	for name, tc := range map[string]struct {
		extra  Attrs
		lo, hi float32
	}{
		"Relu":      {Attrs{FusedActivation: "Relu"}, 0, float32(math.Inf(1))},
		"Clip":      {Attrs{FusedActivation: "Clip", FusedMin: float32(-0.5), FusedMax: float32(0.5)}, -0.5, 0.5},
		"Clip open": {Attrs{FusedActivation: "Clip", FusedMax: float32(0.25)}, float32(math.Inf(-1)), 0.25},
		"SiLU":      {Attrs{FusedActivation: SiLU}, 0, 0},
	} {
		a := Attrs{}
		for k, v := range attrs {
			a[k] = v
		}
		for k, v := range tc.extra {
			a[k] = v
		}
		want := plain.Clone()
		for i, v := range want.F {
			want.F[i] = min(max(v, tc.lo), tc.hi)
			if tc.extra[FusedActivation] == SiLU {
				want.F[i] = float32(float64(v) / (1 + math.Exp(-float64(v))))
			}
		}
		got := call{op: "Conv", attrs: a, consts: []*tensor.Tensor{nil, w, b}}.run(t, x, w, b)[0]
		t.Run(name, func(t *testing.T) { expect(t, got, want, 1e-5) })
	}
	call{op: "Conv", attrs: Attrs{FusedActivation: "Tanh"}}.errorContains(t, "cannot fuse", x, w)
	call{op: "Add", attrs: Attrs{FusedActivation: SiLU}}.errorContains(t, "cannot fuse", x, x)
}

func TestConvCacheIsBounded(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	w := randT(r, 2, 1, 3, 3)
	op, err := Build(&Node{OpType: "Conv", Opset: 13, Consts: []*tensor.Tensor{nil, w}, NumOutputs: 1})
	if err != nil {
		t.Fatal(err)
	}
	for h := 3; h < 3+3*maxPrepared; h++ {
		x := randT(r, 1, 1, h%(maxPrepared+2)+3, 5)
		got, err := op.Run(NoBudget, []*tensor.Tensor{x, w})
		if err != nil {
			t.Fatal(err)
		}
		expect(t, got[0], refConv2D(x, w, nil, 1, 1, 1, 1, 1, 0, 0, 0, 0), 1e-5)
	}
	c := op.(*conv)
	if len(c.cache) > maxPrepared || len(c.order) != len(c.cache) {
		t.Fatalf("cache holds %d kernels, order %d", len(c.cache), len(c.order))
	}
}
