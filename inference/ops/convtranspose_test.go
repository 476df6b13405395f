package ops

import (
	"math/rand/v2"
	"testing"

	"camscope/inference/tensor"
)

func TestConvTransposeSpecExample(t *testing.T) {
	x := iota32(1, 1, 3, 3)
	w := tensor.New(1, 2, 3, 3)
	for i := range w.F {
		w.F[i] = 1
	}
	plane := []float32{0, 1, 3, 3, 2, 3, 8, 15, 12, 7, 9, 21, 36, 27, 15, 9, 20, 33, 24, 13, 6, 13, 21, 15, 8}
	got := call{op: "ConvTranspose"}.run(t, x, w)[0]
	expect(t, got, f32(dims(1, 2, 5, 5), append(append([]float32{}, plane...), plane...)...), 0)
}

// refConvTranspose2D scatters every input value through every kernel tap
// into a full-size output, then crops the pads.
func refConvTranspose2D(x, w, b *tensor.Tensor, group, sh, sw, dh, dw, pt, pl, pb, pr, oph, opw int) *tensor.Tensor {
	n, c, h, wd := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	mg, kh, kw := w.Shape[1], w.Shape[2], w.Shape[3]
	m, cg := mg*group, c/group
	fh, fw := sh*(h-1)+oph+(kh-1)*dh+1, sw*(wd-1)+opw+(kw-1)*dw+1
	full := make([]float64, n*m*fh*fw)
	for in := 0; in < n; in++ {
		for ic := 0; ic < c; ic++ {
			g := ic / cg
			for y := 0; y < h; y++ {
				for xx := 0; xx < wd; xx++ {
					v := float64(x.F[((in*c+ic)*h+y)*wd+xx])
					for mm := 0; mm < mg; mm++ {
						om := g*mg + mm
						for ky := 0; ky < kh; ky++ {
							for kx := 0; kx < kw; kx++ {
								oy, ox := y*sh+ky*dh, xx*sw+kx*dw
								full[((in*m+om)*fh+oy)*fw+ox] += v * float64(w.F[((ic*mg+mm)*kh+ky)*kw+kx])
							}
						}
					}
				}
			}
		}
	}
	oh, ow := fh-pt-pb, fw-pl-pr
	out := tensor.New(n, m, oh, ow)
	for p := 0; p < n*m; p++ {
		for y := 0; y < oh; y++ {
			for xx := 0; xx < ow; xx++ {
				v := full[(p*fh+y+pt)*fw+xx+pl]
				if b != nil {
					v += float64(b.F[p%m])
				}
				out.F[(p*oh+y)*ow+xx] = float32(v)
			}
		}
	}
	return out
}

func TestConvTransposeAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	cases := map[string]struct {
		c, h, w, mg, kh, kw, group, sh, sw, dh, dw, pt, pl, pb, pr, oph, opw int
	}{
		"plain":    {2, 3, 4, 3, 3, 3, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0},
		"strided":  {2, 3, 4, 2, 3, 2, 1, 2, 3, 1, 1, 1, 0, 1, 1, 1, 0},
		"grouped":  {4, 3, 3, 1, 2, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, 0, 1},
		"dilated":  {1, 4, 3, 2, 2, 3, 1, 1, 2, 2, 1, 1, 1, 0, 2, 0, 0},
		"upsample": {3, 5, 5, 3, 4, 4, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			x := randT(r, 2, tc.c, tc.h, tc.w)
			w := randT(r, tc.c, tc.mg, tc.kh, tc.kw)
			b := randT(r, tc.mg*tc.group)
			attrs := Attrs{
				"group": int64(tc.group), "strides": []int64{int64(tc.sh), int64(tc.sw)},
				"dilations":      []int64{int64(tc.dh), int64(tc.dw)},
				"pads":           []int64{int64(tc.pt), int64(tc.pl), int64(tc.pb), int64(tc.pr)},
				"output_padding": []int64{int64(tc.oph), int64(tc.opw)},
			}
			want := refConvTranspose2D(x, w, b, tc.group, tc.sh, tc.sw, tc.dh, tc.dw, tc.pt, tc.pl, tc.pb, tc.pr, tc.oph, tc.opw)
			expect(t, call{op: "ConvTranspose", attrs: attrs}.run(t, x, w, b)[0], want, 1e-5)
		})
	}
}

func TestConvTransposeOutputShape(t *testing.T) {
	// Asking for one more row and column than the full output: the extra
	// ones lie past the last input's reach and hold only the bias.
	x, w := f32(dims(1, 1, 1, 1), 2), f32(dims(1, 1, 1, 1), 3)
	got := call{op: "ConvTranspose", attrs: Attrs{"output_shape": []int64{2, 2}}}.run(t, x, w, f32(dims(1), 1))[0]
	expect(t, got, f32(dims(1, 1, 2, 2), 7, 1, 1, 1), 0)
	// SAME_UPPER: output 2x2 from a full 1x1, total padding -1 halved
	// downwards to -1 at the start (the spec's reference): the value moves
	// to the last row and column.
	got = call{op: "ConvTranspose", attrs: Attrs{"strides": []int64{2, 2}, "auto_pad": "SAME_UPPER"}}.run(t, x, w)[0]
	expect(t, got, f32(dims(1, 1, 2, 2), 0, 0, 0, 6), 0)
	call{op: "ConvTranspose"}.errorContains(t, "do not fit", x, tensor.New(2, 1, 1, 1))
}
