package cam

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"camscope/inference/kernels"
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

// gradProduct returns the planes G_c A_c (EigenGrad-CAM, HiResCAM), or
// relu(G_c) A_c (LayerCAM) when positive is set, position by position.
func gradProduct(feat, grad []float32, positive bool) []float32 {
	prod := make([]float32, len(grad))
	for i, g := range grad {
		if positive && g <= 0 {
			continue
		}
		prod[i] = g * feat[i]
	}
	return prod
}

// weightedPlanes returns the planes w_c A_c of the C planes of hw values
// in feat.
func weightedPlanes(feat, weights []float32, hw int) []float32 {
	out := make([]float32, len(feat))
	for ch, wc := range weights {
		for i, v := range feat[ch*hw : (ch+1)*hw] {
			out[ch*hw+i] = wc * v
		}
	}
	return out
}

// principalProjection returns Eigen-CAM's map of x (C planes of h x w
// values): the positions as points of C dimensions, centred, projected on
// their first principal component, with the sign that makes the map
// correlate positively with sum_c x_c (see EigenCAM). The principal
// component comes from the smaller of the covariance X^T X (C x C) and the
// Gram matrix X X^T (hw x hw) of the centred (hw x C) matrix X: with
// X = U S V^T, X v_1 = s_1 u_1. The product is the engine's float32 GEMM
// (a pure-Go float64 one took most of a map's time); the eigenvector is
// found in float64.
func principalProjection(x []float32, c, h, w int) (Map, error) {
	hw := h * w
	xt := make([]float32, c*hw) // X^T, row-major: one row per channel
	sum := make([]float64, hw)
	for ch := range c {
		plane, row := x[ch*hw:(ch+1)*hw], xt[ch*hw:(ch+1)*hw]
		var mean float64
		for i, v := range plane {
			mean += float64(v)
			sum[i] += float64(v)
		}
		mean /= float64(hw)
		for i, v := range plane {
			row[i] = float32(float64(v) - mean)
		}
	}
	n := min(hw, c)
	prod := make([]float32, n*n)
	if hw <= c {
		kernels.Gemm(true, false, hw, hw, c, 1, xt, hw, xt, hw, 0, prod, hw)
	} else {
		kernels.Gemm(false, true, c, c, hw, 1, xt, hw, xt, hw, 0, prod, c)
	}
	sym := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			sym.SetSym(i, j, float64(prod[i*n+j]))
		}
	}
	vec, lambda, err := topEigenvector(sym)
	if err != nil {
		return Map{}, err
	}
	proj := make([]float64, hw)
	if hw <= c {
		s := math.Sqrt(lambda)
		for i := range proj {
			proj[i] = s * vec[i]
		}
	} else {
		for ch, vc := range vec {
			for i, v := range xt[ch*hw : (ch+1)*hw] {
				proj[i] += vc * float64(v)
			}
		}
	}
	var sumMean float64
	for _, v := range sum {
		sumMean += v / float64(hw)
	}
	var corr, projNorm, sumNorm float64
	largest := 0
	for i, v := range proj {
		corr += v * (sum[i] - sumMean)
		projNorm += v * v
		sumNorm += sum[i] * sum[i]
		if math.Abs(v) > math.Abs(proj[largest]) {
			largest = i
		}
	}
	if math.Abs(corr) <= 1e-6*math.Sqrt(projNorm*sumNorm) {
		corr = 0 // uncorrelated but for rounding, as when sum is constant
	}
	if corr < 0 || corr == 0 && proj[largest] < 0 {
		for i := range proj {
			proj[i] = -proj[i]
		}
	}
	return toMap(proj, h, w), nil
}

// topEigenvector returns the unit eigenvector of the positive
// semi-definite a with the largest eigenvalue, and that eigenvalue. The
// eigenvalues come from gonum's symmetric eigensolver, asked for no
// vectors; the vector from inverse iteration with
// the shift sigma = lambda_1 (1 + 1e-8), just above lambda_1, where
// sigma I - a is positive definite: each step multiplies the other
// directions' share by (sigma - lambda_1) / (sigma - lambda_i), at most
// 1e-8 / (relative gap), so four steps from a start with any component
// along v_1 leave v_1 to rounding unless two eigenvalues agree to about
// 1e-4 (then any vector of their plane is as good a principal component).
func topEigenvector(a *mat.SymDense) ([]float64, float64, error) {
	n := a.SymmetricDim()
	var eig mat.EigenSym
	if !eig.Factorize(a, false) {
		return nil, 0, fmt.Errorf("the eigen-decomposition of the activations did not converge")
	}
	values := eig.Values(nil) // ascending
	lambda := values[n-1]
	v := make([]float64, n)
	if lambda <= 0 {
		v[0] = 1 // a = 0: every direction is principal, the map is 0
		return v, 0, nil
	}
	shifted := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			shifted.SetSym(i, j, -a.At(i, j))
		}
		shifted.SetSym(i, i, lambda*(1+1e-8)-a.At(i, i))
	}
	var chol mat.Cholesky
	if !chol.Factorize(shifted) {
		return nil, 0, fmt.Errorf("the principal component of the activations is ill-conditioned")
	}
	for i := range v {
		// A fixed start, not all ones: the ones vector is in the centred
		// Gram matrix's null space, orthogonal to v_1.
		v[i] = float64((i*7919)%101) - 50
	}
	vec := mat.NewVecDense(n, v)
	for range 4 {
		if err := chol.SolveVecTo(vec, vec); err != nil {
			return nil, 0, err
		}
		vec.ScaleVec(1/mat.Norm(vec, 2), vec)
	}
	return v, lambda, nil
}

// toMap rounds an h x w grid of float64 to a Map.
func toMap(acc []float64, h, w int) Map {
	m := Map{W: w, H: h, Data: make([]float32, len(acc))}
	for i, v := range acc {
		m.Data[i] = float32(v)
	}
	return m
}
