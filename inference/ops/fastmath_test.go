package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"camscope/inference/tensor"
)

// ulpDiff is the distance in units of the last place between two float32s
// of the same sign.
func ulpDiff(a, b float32) int64 {
	d := int64(math.Float32bits(a)) - int64(math.Float32bits(b))
	if d < 0 {
		d = -d
	}
	return d
}

func TestExpf(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	check := func(x float32) {
		want := float32(math.Exp(float64(x)))
		got := expf(x)
		tol := int64(2)
		if want < math.SmallestNonzeroFloat32*(1<<23) {
			// Subnormal results keep fewer significant bits.
			tol = 4
		}
		if ulpDiff(got, want) > tol {
			t.Fatalf("expf(%v) = %v, want %v", x, got, want)
		}
	}
	for range 200000 {
		check(float32(r.Float64()*200 - 100))
	}
	for range 20000 {
		check(float32(r.Float64()*2 - 1))
	}
	for _, x := range []float32{0, -0.5, 0.5, 88.7, 88.72, -87.3, -100, -103.9, 1e-10, -1e-10} {
		check(x)
	}
	if v := expf(89); !math.IsInf(float64(v), 1) {
		t.Fatalf("expf(89) = %v", v)
	}
	if v := expf(-104); v != 0 {
		t.Fatalf("expf(-104) = %v", v)
	}
	if v := expf(float32(math.NaN())); v == v {
		t.Fatal("expf(NaN) is not NaN")
	}
}

func BenchmarkSigmoid(b *testing.B) {
	x := randT(rand.New(rand.NewPCG(1, 1)), 1, 96, 56, 56)
	op, _ := Build(&Node{OpType: "Sigmoid", Opset: 13, NumOutputs: 1})
	b.ReportAllocs()
	for b.Loop() {
		op.Run([]*tensor.Tensor{x})
	}
}

func TestSigmoidAccuracy(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	x := tensor.New(100000)
	for i := range x.F {
		x.F[i] = float32(r.Float64()*40 - 20)
	}
	got := call{op: "Sigmoid"}.run(t, x)[0]
	for i, v := range x.F {
		want := 1 / (1 + math.Exp(-float64(v)))
		if math.Abs(float64(got.F[i])-want) > 2e-7*want {
			t.Fatalf("Sigmoid(%v) = %v, want %v", v, got.F[i], want)
		}
	}
}

// TestSigmoidVector compares the vector and scalar paths on ordinary and
// extreme arguments, including the lanes' tail handling.
func TestSigmoidVector(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	special := []float32{0, -0, 1e-30, -1e-30, 87, -87, 88, -88, 88.5, -88.5, 100, -100, 1e30, -1e30,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	for n := 0; n < 70; n++ {
		src := make([]float32, n)
		for i := range src {
			if r.IntN(3) == 0 {
				src[i] = special[r.IntN(len(special))]
			} else {
				src[i] = float32(r.NormFloat64() * 8)
			}
		}
		dst := make([]float32, n)
		sigmoidSlice(dst, src)
		for i, v := range src {
			want := 1 / (1 + math.Exp(-float64(v)))
			got := float64(dst[i])
			if math.IsNaN(want) != math.IsNaN(got) || math.Abs(got-want) > 2e-7*want+1e-37 {
				t.Fatalf("n=%d: sigmoid(%v) = %v, want %v", n, v, got, want)
			}
		}
	}
}
