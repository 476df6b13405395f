package ops

import (
	"math/rand/v2"
	"strings"
	"testing"

	"camscope/inference/tensor"
)

// TestEinsum checks equations as timm's exports write them against plain
// loops, and the equation errors.
func TestEinsum(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	q := random(rng, -1, 1, nil, 0, 1, 2, 3, 4) // b h w c
	rel := random(rng, -1, 1, nil, 0, 2, 5, 4)  // h k c
	got := call{op: "Einsum", attrs: Attrs{"equation": "bhwc,hkc->bhwk"}}.run(t, q, rel)[0]
	want := tensor.New(1, 2, 3, 5)
	for h := 0; h < 2; h++ {
		for w := 0; w < 3; w++ {
			for k := 0; k < 5; k++ {
				var s float32
				for c := 0; c < 4; c++ {
					s += q.F[(h*3+w)*4+c] * rel.F[(h*5+k)*4+c]
				}
				want.F[(h*3+w)*5+k] = s
			}
		}
	}
	expect(t, got, want, 1e-6)

	// Implicit output: the letters used once, in alphabetical order (ji
	// -> ij is a transpose).
	x := f32(dims(2, 3), 1, 2, 3, 4, 5, 6)
	expect(t, call{op: "Einsum", attrs: Attrs{"equation": "ji"}}.run(t, x)[0], f32(dims(3, 2), 1, 4, 2, 5, 3, 6), 0)
	expect(t, call{op: "Einsum", attrs: Attrs{"equation": "ij->"}}.run(t, x)[0], f32(nil, 21), 0)

	v := tensor.New(300)
	if _, err := (call{op: "Einsum", attrs: Attrs{"equation": "i,j,k,l->"}}).try(v, v, v, v); err == nil || !strings.Contains(err.Error(), "more than the") {
		t.Errorf("an Einsum of 300^4 products: error %v", err)
	}

	for eq, says := range map[string]string{
		"ij->k":     `output letter 'k' is in no input`,
		"i...j...":  "two ellipses",
		"ij,jk->ii": `output letter 'i' repeated`,
		"i1->i":     "unexpected '1'",
	} {
		if _, err := Build(&Node{OpType: "Einsum", Opset: 12, Attrs: Attrs{"equation": eq}}); err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("equation %q: error %v, want one saying %q", eq, err, says)
		}
	}
}
