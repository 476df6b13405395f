package cam

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// gradWeights returns the channel weights of Grad-CAM, Grad-CAM++ or
// XGrad-CAM (see the Method constants) from the activations feat and the
// gradient grad, C planes of hw values each, summed in float64.
func gradWeights(method Method, feat, grad []float32, c, hw int) []float32 {
	weights := make([]float32, c)
	for ch := range weights {
		a, g := feat[ch*hw:(ch+1)*hw], grad[ch*hw:(ch+1)*hw]
		var sumA, s float64
		for _, v := range a {
			sumA += float64(v)
		}
		switch method {
		case GradCAM:
			for _, v := range g {
				s += float64(v)
			}
			s /= float64(hw)
		case GradCAMPlusPlus:
			for _, v := range g {
				if v <= 0 {
					continue // relu(G) = 0: alpha does not count
				}
				g1 := float64(v)
				g2 := g1 * g1
				if den := 2*g2 + sumA*g2*g1; den != 0 {
					s += g2 / den * g1
				}
			}
		case XGradCAM:
			for i, v := range g {
				s += float64(v) * float64(a[i])
			}
			s /= sumA + 1e-7
		}
		weights[ch] = float32(s)
	}
	return weights
}

// gradTimesFeature returns sum_c G_c A_c position by position (HiResCAM),
// or with relu(G_c) (LayerCAM) when positive is set.
func gradTimesFeature(feat, grad []float32, c, h, w int, positive bool) Map {
	hw := h * w
	acc := make([]float64, hw)
	for ch := range c {
		a, g := feat[ch*hw:(ch+1)*hw], grad[ch*hw:(ch+1)*hw]
		for i, gv := range g {
			if positive && gv <= 0 {
				continue
			}
			acc[i] += float64(gv) * float64(a[i])
		}
	}
	return toMap(acc, h, w)
}

// principalProjection returns Eigen-CAM's map of x (C planes of h x w
// values): the positions as points of C dimensions, centred, projected on
// their first principal component, with the sign that makes the map
// correlate positively with sum_c x_c (see EigenCAM). The principal
// component comes from the eigen-decomposition of the smaller of the
// covariance X^T X (C x C) and the Gram matrix X X^T (hw x hw) of the
// centred (hw x C) matrix X: with X = U S V^T, X v_1 = s_1 u_1.
func principalProjection(x []float32, c, h, w int) (Map, error) {
	hw := h * w
	centred := mat.NewDense(hw, c, nil)
	sum := make([]float64, hw)
	for ch := range c {
		plane := x[ch*hw : (ch+1)*hw]
		var mean float64
		for i, v := range plane {
			mean += float64(v)
			sum[i] += float64(v)
		}
		mean /= float64(hw)
		for i, v := range plane {
			centred.Set(i, ch, float64(v)-mean)
		}
	}
	proj := make([]float64, hw)
	if hw <= c {
		var gram mat.SymDense
		gram.SymOuterK(1, centred)
		u, s2, err := topEigenvector(&gram)
		if err != nil {
			return Map{}, err
		}
		s := math.Sqrt(max(s2, 0))
		for i := range proj {
			proj[i] = s * u[i]
		}
	} else {
		var cov mat.SymDense
		cov.SymOuterK(1, centred.T())
		v, _, err := topEigenvector(&cov)
		if err != nil {
			return Map{}, err
		}
		mat.NewVecDense(hw, proj).MulVec(centred, mat.NewVecDense(c, v))
	}
	var corr, projNorm, sumNorm float64
	largest := 0
	for i, v := range proj {
		corr += v * sum[i] // proj has mean 0: this is its covariance with sum
		projNorm += v * v
		sumNorm += sum[i] * sum[i]
		if math.Abs(v) > math.Abs(proj[largest]) {
			largest = i
		}
	}
	if math.Abs(corr) <= 1e-9*math.Sqrt(projNorm*sumNorm) {
		corr = 0 // uncorrelated but for rounding (sum is constant over positions)
	}
	if corr < 0 || corr == 0 && proj[largest] < 0 {
		for i := range proj {
			proj[i] = -proj[i]
		}
	}
	return toMap(proj, h, w), nil
}

// topEigenvector returns the unit eigenvector of a with the largest
// eigenvalue, and that eigenvalue.
func topEigenvector(a *mat.SymDense) ([]float64, float64, error) {
	var eig mat.EigenSym
	if !eig.Factorize(a, true) {
		return nil, 0, fmt.Errorf("the eigen-decomposition of the activations did not converge")
	}
	values := eig.Values(nil) // ascending
	var vectors mat.Dense
	eig.VectorsTo(&vectors)
	n := len(values)
	return mat.Col(nil, n-1, &vectors), values[n-1], nil
}

// toMap rounds an h x w grid of float64 to a Map.
func toMap(acc []float64, h, w int) Map {
	m := Map{W: w, H: h, Data: make([]float32, len(acc))}
	for i, v := range acc {
		m.Data[i] = float32(v)
	}
	return m
}
