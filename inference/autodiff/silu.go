package autodiff

import (
	"math"

	"camscope/inference/ops"
)

func init() {
	// d/dx x*s(x) = s + x*s*(1-s), with s the sigmoid of x.
	register(ops.SiLU, unary(func(_ *Node) (func(x, y float32) float32, error) {
		return func(x, _ float32) float32 {
			s := 1 / (1 + math.Exp(-float64(x)))
			return float32(s * (1 + float64(x)*(1-s)))
		}, nil
	}))
}
