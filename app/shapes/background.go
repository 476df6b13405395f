package shapes

import (
	"math"
	"math/rand/v2"
)

// paintBackground fills the canvas with one of four kinds of background, so
// that the model must find shapes by their outline rather than by contrast
// with a flat field.
func paintBackground(c *canvas, rng *rand.Rand, plain bool) {
	a, b := randomColour(rng), randomColour(rng)
	kinds := 4
	if plain {
		kinds = 2
	}
	switch rng.IntN(kinds) {
	case 0: // flat
		fill(c, func(x, y float64) [3]float64 { return a })
	case 1: // linear gradient at any angle
		gradient(c, a, b, rng.Float64()*2*math.Pi)
	case 2: // stripes, soft or hard, of two related colours
		b = mix(a, b, 0.25+0.35*rng.Float64())
		period := 3 + rng.Float64()*10
		angle := rng.Float64() * math.Pi
		hard := rng.IntN(2) == 0
		dx, dy := math.Cos(angle), math.Sin(angle)
		fill(c, func(x, y float64) [3]float64 {
			t := 0.5 + 0.5*math.Sin(2*math.Pi*(x*dx+y*dy)/period)
			if hard {
				t = math.Round(t)
			}
			return mix(a, b, t)
		})
	case 3: // clutter: short lines and dots over a gradient
		gradient(c, a, mix(a, b, 0.4), rng.Float64()*2*math.Pi)
		clutter(c, rng)
	}
}

// paintNoise adds per-pixel Gaussian noise to half of the scenes.
func paintNoise(c *canvas, rng *rand.Rand) {
	if rng.IntN(2) == 0 {
		return
	}
	sigma := 3 + 15*rng.Float64()
	for i := 0; i < c.size*c.size; i++ {
		n := sigma * rng.NormFloat64()
		for ch := 0; ch < 3; ch++ {
			c.px[ch][i] = clamp(c.px[ch][i] + n + 0.3*sigma*rng.NormFloat64())
		}
	}
}

func fill(c *canvas, f func(x, y float64) [3]float64) {
	for y := 0; y < c.size; y++ {
		for x := 0; x < c.size; x++ {
			v := f(float64(x), float64(y))
			for ch := 0; ch < 3; ch++ {
				c.px[ch][y*c.size+x] = v[ch]
			}
		}
	}
}

func gradient(c *canvas, a, b [3]float64, angle float64) {
	dx, dy := math.Cos(angle), math.Sin(angle)
	s := float64(c.size)
	fill(c, func(x, y float64) [3]float64 {
		t := ((x-s/2)*dx+(y-s/2)*dy)/(s*math.Sqrt2) + 0.5
		return mix(a, b, t)
	})
}

// clutter draws thin strokes and specks: small or thin enough never to be
// mistaken for one of the classes.
func clutter(c *canvas, rng *rand.Rand) {
	s := float64(c.size)
	n := 6 + rng.IntN(14)
	for i := 0; i < n; i++ {
		col := randomColour(rng)
		if rng.IntN(2) == 0 {
			x0, y0 := rng.Float64()*s, rng.Float64()*s
			l := 4 + rng.Float64()*s/3
			ang := rng.Float64() * 2 * math.Pi
			for t := 0.0; t <= l; t += 0.5 {
				dot(c, x0+t*math.Cos(ang), y0+t*math.Sin(ang), 0.6, col)
			}
		} else {
			dot(c, rng.Float64()*s, rng.Float64()*s, 0.8+rng.Float64()*1.2, col)
		}
	}
}

func dot(c *canvas, cx, cy, r float64, col [3]float64) {
	for y := int(cy - r); y <= int(cy+r); y++ {
		for x := int(cx - r); x <= int(cx+r); x++ {
			if x < 0 || y < 0 || x >= c.size || y >= c.size {
				continue
			}
			if sq(float64(x)+0.5-cx)+sq(float64(y)+0.5-cy) <= r*r+0.25 {
				for ch := 0; ch < 3; ch++ {
					c.px[ch][y*c.size+x] = col[ch]
				}
			}
		}
	}
}

func mix(a, b [3]float64, t float64) [3]float64 {
	return [3]float64{a[0] + (b[0]-a[0])*t, a[1] + (b[1]-a[1])*t, a[2] + (b[2]-a[2])*t}
}
