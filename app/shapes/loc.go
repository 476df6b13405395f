package shapes

import (
	"image"
	"math"
)

// LocThreshold is the fraction of the map's maximum above which CAM pixels
// count as the object, as in Zhou et al. 2016.
const LocThreshold = 0.2

// Upsample resizes a w x h map to W x H bilinearly, with pixel centres
// aligned (the half-pixel convention of image resizers), so that a map cell
// covers the same image area it was computed from.
func Upsample(m []float32, w, h, W, H int) []float32 {
	if len(m) != w*h {
		panic("shapes: Upsample map size mismatch")
	}
	out := make([]float32, W*H)
	sx, sy := float64(w)/float64(W), float64(h)/float64(H)
	for y := 0; y < H; y++ {
		fy := math.Max(0, (float64(y)+0.5)*sy-0.5)
		y0 := min(int(fy), h-1)
		y1 := min(y0+1, h-1)
		ty := float32(fy - float64(y0))
		for x := 0; x < W; x++ {
			fx := math.Max(0, (float64(x)+0.5)*sx-0.5)
			x0 := min(int(fx), w-1)
			x1 := min(x0+1, w-1)
			tx := float32(fx - float64(x0))
			top := m[y0*w+x0]*(1-tx) + m[y0*w+x1]*tx
			bot := m[y1*w+x0]*(1-tx) + m[y1*w+x1]*tx
			out[y*W+x] = top*(1-ty) + bot*ty
		}
	}
	return out
}

// LargestComponentBox keeps the cells of the w x h map m that are at least
// frac of its maximum and returns the box of the largest 8-connected group of
// them (Max exclusive). A map whose maximum is not positive has no object:
// the box is empty.
func LargestComponentBox(m []float32, w, h int, frac float32) image.Rectangle {
	if len(m) != w*h {
		panic("shapes: LargestComponentBox map size mismatch")
	}
	var hi float32
	for i, v := range m {
		if i == 0 || v > hi {
			hi = v
		}
	}
	if !(hi > 0) {
		return image.Rectangle{}
	}
	t := frac * hi
	seen := make([]bool, len(m))
	var best image.Rectangle
	bestN := 0
	stack := make([]int, 0, 64)
	for start := range m {
		if seen[start] || m[start] < t {
			continue
		}
		seen[start] = true
		stack = append(stack[:0], start)
		box := image.Rectangle{}
		n := 0
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			x, y := i%w, i/w
			box = box.Union(image.Rect(x, y, x+1, y+1))
			n++
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					nx, ny := x+dx, y+dy
					if nx < 0 || ny < 0 || nx >= w || ny >= h {
						continue
					}
					j := ny*w + nx
					if !seen[j] && m[j] >= t {
						seen[j] = true
						stack = append(stack, j)
					}
				}
			}
		}
		if n > bestN {
			best, bestN = box, n
		}
	}
	return best
}

// IoU is the intersection over union of two boxes; 0 when both are empty.
func IoU(a, b image.Rectangle) float64 {
	in := a.Intersect(b)
	ai := float64(in.Dx() * in.Dy())
	u := float64(a.Dx()*a.Dy()+b.Dx()*b.Dy()) - ai
	if u <= 0 {
		return 0
	}
	return ai / u
}

// CAMBox is the CAM paper's box: the map, upsampled to the image size, is
// thresholded at LocThreshold of its maximum and the largest connected
// component is boxed.
func CAMBox(cam []float32, w, h, imgW, imgH int) image.Rectangle {
	return LargestComponentBox(Upsample(cam, w, h, imgW, imgH), imgW, imgH, LocThreshold)
}
