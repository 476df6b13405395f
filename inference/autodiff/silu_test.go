package autodiff

import (
	"math/rand/v2"
	"testing"

	"camscope/inference/ops"
	"camscope/inference/tensor"
)

func TestSiLUVJP(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	checkFD(t, fdCase{op: ops.SiLU, inputs: []*tensor.Tensor{random(rng, -6, 6, nil, 0, 2, 3, 4)}})
}
