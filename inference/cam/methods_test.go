package cam

import (
	"context"
	"math"
	"testing"
)

// TestGradientMethodsMatchReference checks each method beyond CAM and
// Grad-CAM, on every reference CNN, against its definition (the Method
// constants) computed here in plain float64 loops from PyTorch's feature
// map and gradient of logit grad_k, the engine's own having been computed
// from the photo: max abs error at most 1e-4 of the map's largest |value|.
func TestGradientMethodsMatchReference(t *testing.T) {
	meta, input := loadRef(t)
	for _, name := range referenceModels {
		t.Run(name, func(t *testing.T) {
			m := sharedModel(t, "reference", name)
			e, err := New(m, nil, "")
			if err != nil {
				t.Fatal(err)
			}
			k := meta[name].GradK
			feat := readNpy(t, "reference", name+"_feat.npy")
			grad := readNpy(t, "reference", name+"_grad.npy")
			c, h, w := feat.Shape[1], feat.Shape[2], feat.Shape[3]
			a := planes(feat.F, c, h*w)
			g := planes(grad.F, c, h*w)
			want := map[Method][]float64{
				GradCAMPlusPlus: slowGradCAMPlusPlus(a, g),
				XGradCAM:        slowXGradCAM(a, g),
				HiResCAM:        slowHiResCAM(a, g, false),
				LayerCAM:        slowHiResCAM(a, g, true),
				EigenCAM:        slowEigenCAM(t, a),
				EigenGradCAM:    slowEigenCAM(t, product(a, g)),
			}
			for method, want := range want {
				p, err := e.Forward(context.Background(), input, method)
				if err != nil {
					t.Fatal(err)
				}
				got, err := p.Map(k)
				if err != nil {
					t.Fatal(err)
				}
				if got.W != w || got.H != h {
					t.Fatalf("%s: map %dx%d, want %dx%d", method, got.W, got.H, w, h)
				}
				if worst, scale := maxAbsDiff(got.Data, want); worst > 1e-4*scale {
					t.Errorf("%s: the map differs from the definition by %g (map max %g)", method, worst, scale)
				}
				_, ws, err := p.MapAndWeights(k)
				if err != nil {
					t.Fatalf("%s: MapAndWeights: %v", method, err)
				}
				switch method {
				case GradCAMPlusPlus, XGradCAM:
					if len(ws) != 1 || len(ws[0]) != c {
						t.Errorf("%s: MapAndWeights gives %d layers of weights, want one of %d channels", method, len(ws), c)
					}
				default:
					if ws != nil {
						t.Errorf("%s: MapAndWeights gives %d layers of weights, want none (nil)", method, len(ws))
					}
				}
				if method == EigenCAM {
					other, err := p.Map((k + 1) % len(p.Logits))
					if err != nil {
						t.Fatal(err)
					}
					if worst, _ := maxAbsDiff(other.Data, toFloat64(got.Data)); worst != 0 {
						t.Errorf("Eigen-CAM gives class %d another map than class %d (by %g): it must be class-agnostic", k+1, k, worst)
					}
					// Asked together, the classes get the same map, each
					// its own copy.
					both, _, err := p.MapsAndWeights([]int{k, (k + 1) % len(p.Logits)})
					if err != nil {
						t.Fatal(err)
					}
					if worst, _ := maxAbsDiff(both[1].Data, toFloat64(got.Data)); worst != 0 || &both[0].Data[0] == &both[1].Data[0] {
						t.Errorf("Eigen-CAM asked for two classes at once: maps differ by %g from the one alone, or share their values", worst)
					}
				}
			}
		})
	}
}

// TestGradientMethodsAgreeOnGAPHead: on a GAP + linear head the gradient
// is W[k,c]/(h*w) at every position, so HiResCAM's sum_c G_c A_c is
// Grad-CAM's map, and XGrad-CAM's weights are Grad-CAM's but for the 1e-7
// in their denominator (as the README says).
func TestGradientMethodsAgreeOnGAPHead(t *testing.T) {
	_, input := loadRef(t)
	e, err := New(sharedModel(t, "reference", "resnet18"), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	passes := map[Method]*Pass{}
	for _, method := range []Method{GradCAM, HiResCAM, XGradCAM} {
		if passes[method], err = e.Forward(context.Background(), input, method); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range passes[GradCAM].Top(3) {
		want, err := passes[GradCAM].Map(c.Index)
		if err != nil {
			t.Fatal(err)
		}
		for _, method := range []Method{HiResCAM, XGradCAM} {
			got, err := passes[method].Map(c.Index)
			if err != nil {
				t.Fatal(err)
			}
			if worst, scale := maxAbsDiff(got.Data, toFloat64(want.Data)); worst > 1e-4*scale {
				t.Errorf("class %d: %s differs from Grad-CAM by %g (map max %g)", c.Index, method, worst, scale)
			}
		}
	}
}

// TestEigenCAMKnownAnswer: activations A_c(y,x) = u(y,x) v_c + m_c (rank 1
// plus a mean per channel) are, once centred, (u - mean(u)) v^T, whose first
// principal component is v/|v|: the map must be s |v| (u - mean(u)), with
// s = sign(sum_c v_c), the sign that correlates with sum_c A_c = u sum(v) +
// sum(m). When sum(v) = 0 that correlation is 0 and the value of largest
// magnitude is positive; with v = 0 the map is 0. Both decompositions are
// tried: positions fewer than channels (the Gram matrix) and more (the
// covariance).
func TestEigenCAMKnownAnswer(t *testing.T) {
	u := []float64{0.5, -1, 2, 0, 3, -0.25, 1, 1.5, -2, 0.75, 0.125, 4} // exact in float32
	cases := map[string]struct {
		h, w int
		v    []float64
	}{
		"gram, positive sum":       {2, 2, []float64{1, -2, 0.5, 3, 0.25, -1, 2, 0.5}},
		"gram, negative sum":       {2, 2, []float64{-1, 2, -0.5, -3, -0.25, 1, -2, -0.5}},
		"covariance, positive sum": {3, 4, []float64{0.5, 2, -1}},
		"covariance, negative sum": {3, 4, []float64{-0.5, -2, 1}},
		"covariance, zero sum":     {3, 4, []float64{1, -3, 2}},
		"gram, flat":               {2, 2, []float64{0, 0, 0, 0, 0, 0}},
		"covariance, flat":         {3, 4, []float64{0, 0, 0}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			hw, c := tc.h*tc.w, len(tc.v)
			x := make([]float32, c*hw)
			var norm, sumV, meanU float64
			for ch, vc := range tc.v {
				norm += vc * vc
				sumV += vc
				for i := range hw {
					x[ch*hw+i] = float32(u[i]*vc + float64(ch) - 3)
				}
			}
			norm = math.Sqrt(norm)
			for i := range hw {
				meanU += u[i] / float64(hw)
			}
			want := make([]float64, hw)
			largest := 0
			for i := range hw {
				want[i] = norm * (u[i] - meanU)
				if math.Abs(want[i]) > math.Abs(want[largest]) {
					largest = i
				}
			}
			if sumV < 0 || sumV == 0 && want[largest] < 0 {
				for i := range want {
					want[i] = -want[i]
				}
			}
			got, err := principalProjection(x, c, tc.h, tc.w)
			if err != nil {
				t.Fatal(err)
			}
			if worst, scale := maxAbsDiff(got.Data, want); worst > 1e-5*scale {
				t.Errorf("map %v, want %v", got.Data, want)
			}
		})
	}
}

// planes splits a [1,C,h,w] tensor's data into C planes of float64.
func planes(data []float32, c, hw int) [][]float64 {
	out := make([][]float64, c)
	for ch := range out {
		out[ch] = toFloat64(data[ch*hw : (ch+1)*hw])
	}
	return out
}

func toFloat64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func product(a, g [][]float64) [][]float64 {
	out := make([][]float64, len(a))
	for c := range a {
		out[c] = make([]float64, len(a[c]))
		for i := range a[c] {
			out[c][i] = g[c][i] * a[c][i]
		}
	}
	return out
}

// weighted returns sum_c weights[c] a[c].
func weighted(a [][]float64, weights []float64) []float64 {
	out := make([]float64, len(a[0]))
	for c := range a {
		for i := range out {
			out[i] += weights[c] * a[c][i]
		}
	}
	return out
}

func sum(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s
}

func slowGradCAMPlusPlus(a, g [][]float64) []float64 {
	weights := make([]float64, len(a))
	for c := range a {
		sumA := sum(a[c])
		for _, gi := range g[c] {
			alpha := 0.0
			if den := 2*gi*gi + sumA*gi*gi*gi; den != 0 {
				alpha = gi * gi / den
			}
			weights[c] += alpha * math.Max(gi, 0)
		}
	}
	return weighted(a, weights)
}

func slowXGradCAM(a, g [][]float64) []float64 {
	weights := make([]float64, len(a))
	for c := range a {
		weights[c] = sum(product(a[c:c+1], g[c:c+1])[0]) / (sum(a[c]) + 1e-7)
	}
	return weighted(a, weights)
}

func slowHiResCAM(a, g [][]float64, positive bool) []float64 {
	out := make([]float64, len(a[0]))
	for c := range a {
		for i := range out {
			gi := g[c][i]
			if positive {
				gi = math.Max(gi, 0)
			}
			out[i] += gi * a[c][i]
		}
	}
	return out
}

// slowEigenCAM projects the centred positions of x on the top eigenvector
// of their Gram matrix K = X X^T (positions x positions), found by the
// power method: K squared repeatedly (normalised) until its columns all
// point along that eigenvector, then a few plain steps. With X = U S V^T,
// X v_1 = s_1 u_1 = sqrt(lambda_1) u_1. The sign is EigenCAM's rule.
func slowEigenCAM(t *testing.T, x [][]float64) []float64 {
	t.Helper()
	n := len(x[0])
	centred := make([][]float64, len(x))
	for c := range x {
		mean := sum(x[c]) / float64(n)
		centred[c] = make([]float64, n)
		for i := range n {
			centred[c][i] = x[c][i] - mean
		}
	}
	k := make([][]float64, n)
	for i := range n {
		k[i] = make([]float64, n)
		for j := range n {
			for c := range centred {
				k[i][j] += centred[c][i] * centred[c][j]
			}
		}
	}
	p := k
	for range 40 {
		next := make([][]float64, n)
		var norm float64
		for i := range n {
			next[i] = make([]float64, n)
			for j := range n {
				for l := range n {
					next[i][j] += p[i][l] * p[l][j]
				}
				norm = math.Max(norm, math.Abs(next[i][j]))
			}
		}
		for i := range n {
			for j := range n {
				next[i][j] /= norm
			}
		}
		p = next
	}
	best, bestNorm := 0, 0.0
	for j := range n {
		var s float64
		for i := range n {
			s += p[i][j] * p[i][j]
		}
		if s > bestNorm {
			best, bestNorm = j, s
		}
	}
	u := make([]float64, n)
	for i := range n {
		u[i] = p[i][best]
	}
	var lambda float64
	for range 50 {
		ku := make([]float64, n)
		for i := range n {
			for j := range n {
				ku[i] += k[i][j] * u[j]
			}
		}
		lambda = math.Sqrt(sum(product([][]float64{ku}, [][]float64{ku})[0]))
		for i := range n {
			u[i] = ku[i] / lambda
		}
	}
	var corr float64
	largest := 0
	for i := range n {
		u[i] *= math.Sqrt(lambda)
		var s float64
		for c := range x {
			s += x[c][i]
		}
		corr += u[i] * s
		if math.Abs(u[i]) > math.Abs(u[largest]) {
			largest = i
		}
	}
	if corr < 0 || corr == 0 && u[largest] < 0 {
		for i := range u {
			u[i] = -u[i]
		}
	}
	return u
}

// maxAbsDiff returns the largest |got - want| and the largest |want|.
func maxAbsDiff(got []float32, want []float64) (worst, scale float64) {
	if len(got) != len(want) {
		return math.Inf(1), 0
	}
	for i, w := range want {
		worst = math.Max(worst, math.Abs(float64(got[i])-w))
		scale = math.Max(scale, math.Abs(w))
	}
	return worst, scale
}
