package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestLayerNormRow compares LayerNormRow, every implementation, with the
// definition in float64 (mean, 1/sqrt(var + eps), then each value), with
// and without a bias, on every length up to 40 and the rows of the
// transformers (96, 192, 768) and rows far from zero (mean 100), where a
// float32 variance loses digits; nothing past the row is written.
func TestLayerNormRow(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var lengths []int
	for n := 1; n <= 40; n++ {
		lengths = append(lengths, n)
	}
	lengths = append(lengths, 96, 192, 768)
	saved := normKind
	defer func() { normKind = saved }()
	for _, kind := range availableActKinds() {
		if kind == kindAVX2 {
			continue // LayerNormRow has no AVX2 loop
		}
		normKind = kind
		t.Run(actKindName(kind), func(t *testing.T) {
			for _, n := range lengths {
				for _, offset := range []float64{0, 100} {
					for _, withBias := range []bool{false, true} {
						src, scale := make([]float32, n), make([]float32, n)
						var bias []float32
						if withBias {
							bias = make([]float32, n)
						}
						for i := range src {
							src[i] = float32(offset + r.NormFloat64()*3)
							scale[i] = float32(0.5 + r.Float64())
							if bias != nil {
								bias[i] = float32(r.NormFloat64())
							}
						}
						dst := make([]float32, n+16)
						for i := range dst {
							dst[i] = 42
						}
						const eps = 1e-5
						mean, inv := LayerNormRow(dst, src, scale, bias, eps)
						var m, v float64
						for _, x := range src {
							m += float64(x)
						}
						m /= float64(n)
						for _, x := range src {
							v += (float64(x) - m) * (float64(x) - m)
						}
						wantInv := 1 / math.Sqrt(v/float64(n)+eps)
						if math.Abs(float64(mean)-m) > 1e-6*(math.Abs(m)+1) || math.Abs(float64(inv)-wantInv) > 2e-4*wantInv {
							t.Fatalf("n=%d offset %v: mean %v inv %v, want %v and %v", n, offset, mean, inv, m, wantInv)
						}
						for i, x := range src {
							want := (float64(x) - m) * wantInv * float64(scale[i])
							if bias != nil {
								want += float64(bias[i])
							}
							if math.Abs(float64(dst[i])-want) > 1e-3 {
								t.Fatalf("n=%d offset %v bias %v: dst[%d] = %v, want %v", n, offset, withBias, i, dst[i], want)
							}
						}
						for i := n; i < len(dst); i++ {
							if dst[i] != 42 {
								t.Fatalf("n=%d: dst[%d] written past the row: %v", n, i, dst[i])
							}
						}
					}
				}
			}
		})
	}
}
