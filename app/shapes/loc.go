package shapes

import (
	"image"

	"camscope/app/render"
)

// LocThreshold is the fraction of the map's maximum above which CAM pixels
// count as the object, as in Zhou et al. 2016.
const LocThreshold = 0.2

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

// CAMBox is the CAM paper's box: the w x h map, upsampled bilinearly to the
// imgW x imgH image, is thresholded at LocThreshold of its maximum and the
// largest 8-connected region is boxed (Max exclusive). A map whose maximum
// is not positive has no object: the box is empty.
func CAMBox(cam []float32, w, h, imgW, imgH int) image.Rectangle {
	up, _ := render.Upsample(render.Map{W: w, H: h, Data: cam}, render.FullRect(imgW, imgH), imgW, imgH)
	var hi float32
	for i, v := range up.Data {
		if i == 0 || v > hi {
			hi = v
		}
	}
	if !(hi > 0) {
		return image.Rectangle{}
	}
	box, ok := render.ThresholdBox(up, LocThreshold*hi)
	if !ok {
		return image.Rectangle{}
	}
	return box
}
