package ops

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"camscope/inference/tensor"
)

// refConvInputGrad is a convolution's input gradient the slow way: each
// output gradient value times each tap's weight added onto the input value
// that tap read.
func refConvInputGrad(gy, w *tensor.Tensor, xShape []int, group, sh, sw, dh, dw, pt, pl int) *tensor.Tensor {
	n, c, h, wd := xShape[0], xShape[1], xShape[2], xShape[3]
	m, cg, kh, kw := w.Shape[0], w.Shape[1], w.Shape[2], w.Shape[3]
	oh, ow := gy.Shape[2], gy.Shape[3]
	mg := m / group
	acc := make([]float64, n*c*h*wd)
	for in := range n {
		for om := range m {
			g := om / mg
			for oy := range oh {
				for ox := range ow {
					v := float64(gy.F[((in*m+om)*oh+oy)*ow+ox])
					for ic := range cg {
						for ky := range kh {
							iy := oy*sh - pt + ky*dh
							if iy < 0 || iy >= h {
								continue
							}
							for kx := range kw {
								ix := ox*sw - pl + kx*dw
								if ix < 0 || ix >= wd {
									continue
								}
								acc[((in*c+g*cg+ic)*h+iy)*wd+ix] += v * float64(w.F[((om*cg+ic)*kh+ky)*kw+kx])
							}
						}
					}
				}
			}
		}
	}
	out := tensor.New(xShape...)
	for i, v := range acc {
		out.F[i] = float32(v)
	}
	return out
}

// inputGradCase is one convolution whose input gradient is checked.
type inputGradCase struct {
	n, c, h, w, m, kh, kw, group, sh, sw, dh, dw int
	pads                                         [4]int // t, l, b, r
	// gemm: the decomposition does not apply, the GEMM path answers
	gemm bool
}

func (tc inputGradCase) String() string {
	return fmt.Sprintf("n%d c%d %dx%d m%d k%dx%d g%d s%dx%d d%dx%d pads%v", tc.n, tc.c, tc.h, tc.w, tc.m, tc.kh, tc.kw, tc.group, tc.sh, tc.sw, tc.dh, tc.dw, tc.pads)
}

func (tc inputGradCase) geom() geom2D {
	return geom2D{inH: tc.h, inW: tc.w, kH: tc.kh, kW: tc.kw, sH: tc.sh, sW: tc.sw, dH: tc.dh, dW: tc.dw,
		padT: tc.pads[0], padL: tc.pads[1], padB: tc.pads[2], padR: tc.pads[3],
		outH: (tc.h+tc.pads[0]+tc.pads[2]-tc.dh*(tc.kh-1)-1)/tc.sh + 1,
		outW: (tc.w+tc.pads[1]+tc.pads[3]-tc.dw*(tc.kw-1)-1)/tc.sw + 1}
}

// inputGradCases: ResNet's strided convolutions and stem, odd sizes,
// asymmetric pads, strides 3 and mixed, kernels smaller than the stride,
// groups and depthwise, batches, pads wider than the kernel and end pads
// that outputs read alone (parts that compute positions they drop); the
// GEMM's case (dilation with stride) for contrast.
var inputGradCases = []inputGradCase{
	{1, 8, 28, 28, 16, 3, 3, 1, 2, 2, 1, 1, [4]int{1, 1, 1, 1}, false},
	{1, 8, 14, 14, 16, 1, 1, 1, 2, 2, 1, 1, [4]int{0, 0, 0, 0}, false},
	{1, 3, 23, 21, 8, 7, 7, 1, 2, 2, 1, 1, [4]int{3, 3, 3, 3}, false},
	{2, 5, 7, 9, 6, 3, 3, 1, 2, 2, 1, 1, [4]int{1, 1, 1, 1}, false},
	{1, 4, 7, 6, 3, 3, 3, 1, 2, 2, 1, 1, [4]int{0, 1, 2, 0}, false},
	{1, 4, 11, 10, 5, 5, 5, 1, 3, 3, 1, 1, [4]int{2, 2, 2, 2}, false},
	{1, 4, 9, 10, 5, 3, 4, 1, 2, 3, 1, 1, [4]int{1, 0, 1, 2}, false},
	{1, 3, 8, 9, 4, 3, 3, 1, 1, 2, 1, 1, [4]int{1, 1, 1, 1}, false},
	{1, 3, 10, 9, 4, 2, 2, 1, 3, 3, 1, 1, [4]int{0, 0, 0, 0}, false},
	{1, 3, 6, 5, 2, 4, 4, 1, 2, 2, 1, 1, [4]int{1, 1, 2, 1}, false},
	{1, 4, 9, 9, 6, 3, 3, 2, 2, 2, 1, 1, [4]int{1, 1, 1, 1}, false},
	{2, 6, 10, 11, 12, 3, 3, 6, 2, 2, 1, 1, [4]int{1, 1, 1, 1}, false},
	{1, 4, 9, 8, 4, 5, 5, 4, 2, 2, 1, 1, [4]int{2, 2, 2, 2}, false},
	{1, 4, 12, 12, 4, 3, 3, 1, 1, 1, 2, 2, [4]int{2, 1, 2, 1}, false},
	{1, 4, 9, 9, 4, 3, 3, 1, 2, 2, 2, 2, [4]int{2, 2, 2, 2}, true},
	{1, 4, 8, 8, 4, 1, 1, 1, 2, 2, 1, 1, [4]int{1, 1, 1, 1}, false},
	{1, 2, 4, 4, 2, 3, 3, 1, 2, 2, 1, 1, [4]int{0, 0, 3, 3}, false},
	{1, 3, 6, 6, 4, 3, 3, 1, 1, 1, 1, 1, [4]int{3, 2, 0, 1}, false},
	{1, 3, 6, 7, 4, 2, 2, 1, 2, 2, 1, 1, [4]int{3, 0, 0, 3}, false},
}

// TestConvInputGrad: a convolution's input gradient (its VJP with constant
// weights, twice, the second from the cache) matches the slow reference,
// through the forward kernels wherever the decomposition applies.
func TestConvInputGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, tc := range inputGradCases {
		t.Run(tc.String(), func(t *testing.T) {
			x := randT(r, tc.n, tc.c, tc.h, tc.w)
			w := randT(r, tc.m, tc.c/tc.group, tc.kh, tc.kw)
			geo := tc.geom()
			gy := randT(r, tc.n, tc.m, geo.outH, geo.outW)
			attrs := Attrs{"group": int64(tc.group), "strides": []int64{int64(tc.sh), int64(tc.sw)}, "dilations": []int64{int64(tc.dh), int64(tc.dw)},
				"pads": []int64{int64(tc.pads[0]), int64(tc.pads[1]), int64(tc.pads[2]), int64(tc.pads[3])}}
			op, err := Build(&Node{OpType: "Conv", Attrs: attrs, Opset: 13, Consts: []*tensor.Tensor{nil, w}, NumOutputs: 1})
			if err != nil {
				t.Fatal(err)
			}
			c := op.(*conv)
			if got := c.inputGradConv(w, geo, tc.c) == nil; got != tc.gemm {
				t.Fatalf("GEMM path %v, want %v", got, tc.gemm)
			}
			y, err := op.Run(NoBudget, []*tensor.Tensor{x, w})
			if err != nil {
				t.Fatal(err)
			}
			want := refConvInputGrad(gy, w, x.Shape, tc.group, tc.sh, tc.sw, tc.dh, tc.dw, tc.pads[0], tc.pads[1])
			p := &Pass{Inputs: []*tensor.Tensor{x, w}, Outputs: y, Need: []bool{true, false}}
			for range 2 {
				gs, err := VJP("Conv", op, p, gy)
				if err != nil {
					t.Fatal(err)
				}
				expect(t, gs[0], want, 1e-4)
			}
		})
	}
}

// TestConvInputGradCatchesWrongParts: the comparison of TestConvInputGrad
// fails for decompositions that are wrong in the ways one could be: a
// part's taps in the wrong order, its correlation shifted by one, two
// parts' places swapped.
func TestConvInputGradCatchesWrongParts(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	tc := inputGradCase{2, 5, 8, 10, 6, 3, 3, 1, 2, 2, 1, 1, [4]int{1, 1, 1, 1}, false} // parts of 4 x 5
	geo := tc.geom()
	w := randT(r, tc.m, tc.c, tc.kh, tc.kw)
	gy := randT(r, tc.n, tc.m, geo.outH, geo.outW)
	c := &conv{group: 1}
	want := refConvInputGrad(gy, w, []int{tc.n, tc.c, tc.h, tc.w}, 1, tc.sh, tc.sw, 1, 1, tc.pads[0], tc.pads[1])
	rows, _ := axisParts(geo.inH, geo.outH, geo.kH, geo.sH, geo.dH, geo.padT)
	cols, _ := axisParts(geo.inW, geo.outW, geo.kW, geo.sW, geo.dW, geo.padL)
	run := func(g *inputGrad) *tensor.Tensor {
		gx := tensor.New(want.Shape...)
		g.run(gx.F, gy.F, tc.n)
		return gx
	}
	if got := run(c.partsGrad(w, geo, tc.c, rows, cols)); !sameTensor(got, want, 1e-4) {
		t.Fatal("the right decomposition disagrees with the reference")
	}
	clone := func(ps []axisPart) []axisPart {
		out := slices.Clone(ps)
		for i := range out {
			out[i].taps = slices.Clone(out[i].taps)
		}
		return out
	}
	reversed := clone(rows)
	slices.Reverse(reversed[1].taps) // the odd rows' two taps
	shifted := clone(cols)
	shifted[1].padB, shifted[1].padE = shifted[1].padB+1, shifted[1].padE-1
	swapped := c.partsGrad(w, geo, tc.c, rows, cols)
	swapped.parts[0].rW, swapped.parts[1].rW = swapped.parts[1].rW, swapped.parts[0].rW
	for name, g := range map[string]*inputGrad{
		"taps reversed": c.partsGrad(w, geo, tc.c, reversed, cols),
		"shifted":       c.partsGrad(w, geo, tc.c, rows, shifted),
		"swapped":       swapped,
	} {
		if sameTensor(run(g), want, 1e-4) {
			t.Errorf("%s: a wrong decomposition passes", name)
		}
	}
}
