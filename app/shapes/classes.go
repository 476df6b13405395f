// Package shapes generates the synthetic scenes CAMscope's built-in model is
// trained and evaluated on, and measures how well a class activation map
// localises the object the scene is labelled with.
//
// A scene is a small RGB image with one to three shapes on a varied
// background. Its label is the class of the dominant (largest) shape, and the
// box of every shape is known, so localisation can be scored exactly.
package shapes

import "math"

// Class is a kind of shape.
type Class int

// The classes, in the order of the model's outputs.
const (
	Circle Class = iota
	Square
	Triangle
	Star
	Cross
	Ring
	Heart
	Pentagon
	NumClasses int = iota
)

var classNames = [NumClasses]string{"circle", "square", "triangle", "star", "cross", "ring", "heart", "pentagon"}

// String returns the class name used in the labels file.
func (c Class) String() string {
	if c < 0 || int(c) >= NumClasses {
		return "unknown"
	}
	return classNames[c]
}

// Labels returns the class names in output order.
func Labels() []string {
	return append([]string(nil), classNames[:]...)
}

// inside reports whether the point (x, y) of the shape's own frame, where
// the shape fits the unit disc, belongs to the shape. y points down, as in
// images, so that a heart is upright when unrotated.
func (c Class) inside(x, y float64) bool {
	switch c {
	case Circle:
		return x*x+y*y <= 1
	case Square:
		// Side 1.5: its corners reach radius 1.06, close to the other shapes'.
		return math.Abs(x) <= 0.75 && math.Abs(y) <= 0.75
	case Triangle:
		return inPolygon(triangle[:], x, y)
	case Star:
		return inPolygon(star[:], x, y)
	case Cross:
		ax, ay := math.Abs(x), math.Abs(y)
		return (ax <= 0.3 && ay <= 0.95) || (ay <= 0.3 && ax <= 0.95)
	case Ring:
		r2 := x*x + y*y
		return r2 <= 1 && r2 >= 0.55*0.55
	case Heart:
		// The classic sextic heart (x²+y²-1)³ = x²y³ spans x in ±1.14 and
		// y in [-1, 1.25] with the lobes up; scale and centre it into the disc.
		hx, hy := x*1.15, -y*1.15+0.12
		a := hx*hx + hy*hy - 1
		return a*a*a-hx*hx*hy*hy*hy <= 0
	case Pentagon:
		return inPolygon(pentagon[:], x, y)
	}
	return false
}

type point struct{ x, y float64 }

var (
	triangle = regular(3, 1, -math.Pi/2)
	pentagon = regular(5, 1, -math.Pi/2)
	star     = starPoints(5, 1, 0.42)
)

func regular(n int, r, phase float64) []point {
	p := make([]point, n)
	for i := range p {
		a := phase + 2*math.Pi*float64(i)/float64(n)
		p[i] = point{r * math.Cos(a), r * math.Sin(a)}
	}
	return p
}

func starPoints(n int, outer, inner float64) []point {
	p := make([]point, 2*n)
	for i := range p {
		r := outer
		if i%2 == 1 {
			r = inner
		}
		a := -math.Pi/2 + math.Pi*float64(i)/float64(n)
		p[i] = point{r * math.Cos(a), r * math.Sin(a)}
	}
	return p
}

// inPolygon is the even-odd rule; it handles the concave star.
func inPolygon(p []point, x, y float64) bool {
	in := false
	j := len(p) - 1
	for i := range p {
		if (p[i].y > y) != (p[j].y > y) &&
			x < (p[j].x-p[i].x)*(y-p[i].y)/(p[j].y-p[i].y)+p[i].x {
			in = !in
		}
		j = i
	}
	return in
}
