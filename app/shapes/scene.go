package shapes

import (
	"image"
	"math"
	"math/rand/v2"
)

// DefaultSize is the side of the scenes the built-in model sees. 64 pixels
// keep training within minutes on two cores while a three-pooling-free tail
// still leaves a 16x16 feature map for the CAM.
const DefaultSize = 64

// Options say what scenes to draw. The zero value draws DefaultSize scenes
// with one to three shapes.
type Options struct {
	Size      int // image side in pixels; DefaultSize if zero
	MinShapes int // 1 if zero
	MaxShapes int // 3 if zero; at most 3
	// Plain draws only flat and gradient backgrounds without noise: the
	// easy scenes a training curriculum starts with.
	Plain bool

	skipShapes bool // tests: draw the same scene without its shapes
}

// Object is one shape of a scene.
type Object struct {
	Class Class
	// Box is the tight box of the pixels the shape covers by at least half,
	// in image coordinates (Max exclusive). Shapes never overlap, so the box
	// is fully visible.
	Box  image.Rectangle
	Area float64 // covered area in pixels (sum of coverage)
}

// Scene is one generated image with its ground truth.
type Scene struct {
	Image   *image.NRGBA
	Label   Class    // class of the dominant shape
	Objects []Object // Objects[0] is the dominant shape
}

// Box returns the box of the dominant shape.
func (s Scene) Box() image.Rectangle { return s.Objects[0].Box }

func (o Options) norm() Options {
	if o.Size == 0 {
		o.Size = DefaultSize
	}
	if o.MinShapes == 0 {
		o.MinShapes = 1
	}
	if o.MaxShapes == 0 {
		o.MaxShapes = 3
	}
	if o.MaxShapes < o.MinShapes || o.MinShapes < 1 || o.MaxShapes > 3 || o.Size < 32 {
		panic("shapes: bad options")
	}
	return o
}

// Scene draws scene number index of the series named by seed. The same
// (options, seed, index) always gives the same scene, and scenes of a series
// can be drawn in any order or in parallel.
func (o Options) Scene(seed, index uint64) Scene {
	o = o.norm()
	rng := rand.New(rand.NewPCG(seed, index^0x9e3779b97f4a7c15))
	c := newCanvas(o.Size)
	paintBackground(c, rng, o.Plain)

	want := o.MinShapes + rng.IntN(o.MaxShapes-o.MinShapes+1)
	s := float64(o.Size)
	// A shape alone has a radius of 20-36% of the side (13-23 pixels at
	// 64): below that its box is under four cells of a 16x16 CAM, too few
	// to box it at IoU 0.5 (measured: 1 in 16 such shapes was). With
	// others it is smaller, or they would not fit.
	lo, hi := 0.20*s, 0.36*s
	if want > 1 {
		lo, hi = 0.15*s, 0.27*s
	}
	dom := Class(rng.IntN(NumClasses))
	var placed []*shapeMask
	first := newShape(dom, lo+rng.Float64()*(hi-lo), o.Size, rng)
	placed = append(placed, first)
	for len(placed) < want {
		ok := false
		for try := 0; try < 40 && !ok; try++ {
			r := 0.09*s + rng.Float64()*(0.72*first.radius-0.09*s)
			m := newShape(Class(rng.IntN(NumClasses)), r, o.Size, rng)
			if m.area > 0.6*first.area || m.overlapsAny(placed, 2) {
				continue
			}
			placed = append(placed, m)
			ok = true
		}
		if !ok {
			break
		}
	}
	sc := Scene{Label: dom}
	for _, m := range placed {
		col := contrastingColour(c, m.box, rng)
		if !o.skipShapes {
			m.paint(c, col, rng)
		} else {
			rng.Float64() // keep the random stream aligned with paint
			rng.Float64()
		}
		sc.Objects = append(sc.Objects, Object{Class: m.class, Box: m.box, Area: m.area})
	}
	if !o.Plain {
		paintNoise(c, rng)
	}
	sc.Image = c.image()
	return sc
}

// shapeMask is a shape rendered as per-pixel coverage over its bounding
// square.
type shapeMask struct {
	class  Class
	radius float64
	rect   image.Rectangle // region the coverage covers
	cov    []float64       // row-major over rect
	box    image.Rectangle // pixels covered at least half
	area   float64
}

// supersample is the subpixel grid per axis used for anti-aliasing.
const supersample = 4

func newShape(class Class, radius float64, size int, rng *rand.Rand) *shapeMask {
	margin := radius*1.1 + 1
	cx := margin + rng.Float64()*(float64(size)-2*margin)
	cy := margin + rng.Float64()*(float64(size)-2*margin)
	angle := rng.Float64() * 2 * math.Pi
	cos, sin := math.Cos(angle), math.Sin(angle)
	r := image.Rect(int(cx-radius*1.1)-1, int(cy-radius*1.1)-1, int(cx+radius*1.1)+2, int(cy+radius*1.1)+2).
		Intersect(image.Rect(0, 0, size, size))
	m := &shapeMask{class: class, radius: radius, rect: r, cov: make([]float64, r.Dx()*r.Dy())}
	box := image.Rectangle{Min: r.Max, Max: r.Min}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			n := 0
			for sy := 0; sy < supersample; sy++ {
				for sx := 0; sx < supersample; sx++ {
					px := (float64(x) + (float64(sx)+0.5)/supersample - cx) / radius
					py := (float64(y) + (float64(sy)+0.5)/supersample - cy) / radius
					// Rotate the sample into the shape's own frame.
					if class.inside(cos*px+sin*py, -sin*px+cos*py) {
						n++
					}
				}
			}
			v := float64(n) / (supersample * supersample)
			m.cov[(y-r.Min.Y)*r.Dx()+x-r.Min.X] = v
			m.area += v
			if v >= 0.5 {
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	m.box = box
	return m
}

func (m *shapeMask) overlapsAny(others []*shapeMask, gap int) bool {
	b := m.box.Inset(-gap)
	for _, o := range others {
		if b.Overlaps(o.box) {
			return true
		}
	}
	return false
}

// paint blends the shape's colour over the canvas, with a gentle linear
// shading so that fill colour alone is not constant.
func (m *shapeMask) paint(c *canvas, col [3]float64, rng *rand.Rand) {
	shade := 0.25 * rng.Float64()
	dir := rng.Float64() * 2 * math.Pi
	dx, dy := math.Cos(dir), math.Sin(dir)
	w := m.rect.Dx()
	for y := m.rect.Min.Y; y < m.rect.Max.Y; y++ {
		for x := m.rect.Min.X; x < m.rect.Max.X; x++ {
			a := m.cov[(y-m.rect.Min.Y)*w+x-m.rect.Min.X]
			if a == 0 {
				continue
			}
			t := ((float64(x)-float64(m.rect.Min.X))*dx + (float64(y)-float64(m.rect.Min.Y))*dy) / float64(w)
			k := 1 + shade*(t-0.5)
			i := y*c.size + x
			for ch := 0; ch < 3; ch++ {
				c.px[ch][i] = c.px[ch][i]*(1-a) + clamp(col[ch]*k)*a
			}
		}
	}
}

// contrastingColour picks a fill that stands out from the background under
// the box, so that every shape is visible to a person.
func contrastingColour(c *canvas, box image.Rectangle, rng *rand.Rand) [3]float64 {
	var mean [3]float64
	n := 0.0
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			for ch := 0; ch < 3; ch++ {
				mean[ch] += c.px[ch][y*c.size+x]
			}
			n++
		}
	}
	for ch := range mean {
		mean[ch] /= math.Max(n, 1)
	}
	var best [3]float64
	bestD := -1.0
	for try := 0; try < 20; try++ {
		col := randomColour(rng)
		d := math.Sqrt(sq(col[0]-mean[0]) + sq(col[1]-mean[1]) + sq(col[2]-mean[2]))
		if d > bestD {
			best, bestD = col, d
		}
		if d >= 110 {
			break
		}
	}
	return best
}

func randomColour(rng *rand.Rand) [3]float64 {
	h := rng.Float64() * 6
	s := 0.3 + 0.7*rng.Float64()
	v := 0.15 + 0.85*rng.Float64()
	i := int(h)
	f := h - float64(i)
	p, q, t := v*(1-s), v*(1-s*f), v*(1-s*(1-f))
	var r, g, b float64
	switch i % 6 {
	case 0:
		r, g, b = v, t, p
	case 1:
		r, g, b = q, v, p
	case 2:
		r, g, b = p, v, t
	case 3:
		r, g, b = p, q, v
	case 4:
		r, g, b = t, p, v
	default:
		r, g, b = v, p, q
	}
	return [3]float64{255 * r, 255 * g, 255 * b}
}

// canvas is a float RGB image in [0, 255], one plane per channel.
type canvas struct {
	size int
	px   [3][]float64
}

func newCanvas(size int) *canvas {
	c := &canvas{size: size}
	for ch := range c.px {
		c.px[ch] = make([]float64, size*size)
	}
	return c
}

func (c *canvas) image() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, c.size, c.size))
	for i := 0; i < c.size*c.size; i++ {
		img.Pix[4*i] = uint8(clamp(c.px[0][i]) + 0.5)
		img.Pix[4*i+1] = uint8(clamp(c.px[1][i]) + 0.5)
		img.Pix[4*i+2] = uint8(clamp(c.px[2][i]) + 0.5)
		img.Pix[4*i+3] = 255
	}
	return img
}

func clamp(v float64) float64 { return math.Min(255, math.Max(0, v)) }
func sq(v float64) float64    { return v * v }
