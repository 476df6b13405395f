package preprocess

import (
	"fmt"
	"image"
	"math"
)

// Rect is an axis-aligned rectangle in continuous pixel coordinates: pixel
// (i, j) covers [i, i+1) x [j, j+1) and its centre is (i+0.5, j+0.5).
type Rect struct {
	X0 float64 `json:"x0"`
	Y0 float64 `json:"y0"`
	X1 float64 `json:"x1"`
	Y1 float64 `json:"y1"`
}

// Dx and Dy are the width and height.
func (r Rect) Dx() float64 { return r.X1 - r.X0 }
func (r Rect) Dy() float64 { return r.Y1 - r.Y0 }

// Geometry records which part of the photo a tensor covers, so that a map
// computed on the tensor (or on a feature grid laid over it) can be placed
// back onto the photo.
//
// All coordinates are continuous pixel coordinates as described at Rect.
// The tensor's Width x Height pixels cover Crop, a rectangle of the photo,
// uniformly: tensor u in [0, Width] maps linearly to photo x in
// [Crop.X0, Crop.X1]. This is exact for the resizer used here, which samples
// output pixel centre u+0.5 at photo (Crop.X0 + (u+0.5)*Crop.Dx()/Width).
//
// A feature grid of gw x gh cells is taken to cover the tensor uniformly (the
// usual reading of a CNN's final feature map; receptive fields are in fact
// larger and padded at the borders).
type Geometry struct {
	// PhotoWidth, PhotoHeight is the size of the photo given to Prepare
	// (after EXIF orientation, if the caller applied it).
	PhotoWidth  int `json:"photo_width"`
	PhotoHeight int `json:"photo_height"`
	// Width, Height is the tensor's spatial size.
	Width  int `json:"width"`
	Height int `json:"height"`
	// Crop is the part of the photo the tensor covers; for Stretch it is the
	// whole photo.
	Crop Rect `json:"crop"`
	// How the pixels are made: Region of the photo (the whole photo, or the
	// centred square for SquareCrop) is resized to ResizedWidth x
	// ResizedHeight, and the tensor is the Width x Height block at
	// (CropX, CropY) of that (CropX, CropY are non-zero for CenterCrop only).
	Region        image.Rectangle `json:"-"`
	ResizedWidth  int             `json:"resized_width"`
	ResizedHeight int             `json:"resized_height"`
	CropX         int             `json:"crop_x"`
	CropY         int             `json:"crop_y"`
}

// Plan computes the geometry of preparing a photoW x photoH photo under s,
// without touching pixels.
func Plan(photoW, photoH int, s Spec) (Geometry, error) {
	if err := s.Validate(); err != nil {
		return Geometry{}, err
	}
	if photoW <= 0 || photoH <= 0 {
		return Geometry{}, fmt.Errorf("preprocess: the photo is empty (%dx%d pixels)", photoW, photoH)
	}
	g := Geometry{PhotoWidth: photoW, PhotoHeight: photoH, Width: s.Width, Height: s.Height,
		Region: image.Rect(0, 0, photoW, photoH), ResizedWidth: s.Width, ResizedHeight: s.Height}
	switch s.Resize {
	case SquareCrop:
		side := max(1, int(math.Floor(float64(min(photoW, photoH))*s.CropFraction+1e-9)))
		x0, y0 := (photoW-side)/2, (photoH-side)/2
		g.Region = image.Rect(x0, y0, x0+side, y0+side)
	case CenterCrop:
		// torchvision: Resize(int(crop / fraction)) sets the shorter side
		// and truncates the longer one; CenterCrop rounds its offsets.
		// A non-square crop uses the size that fits the larger crop side.
		short := int(math.Floor(float64(max(s.Width, s.Height))/s.CropFraction + 1e-9))
		if photoW <= photoH {
			g.ResizedWidth, g.ResizedHeight = short, int(float64(short)*float64(photoH)/float64(photoW))
		} else {
			g.ResizedWidth, g.ResizedHeight = int(float64(short)*float64(photoW)/float64(photoH)), short
		}
		g.ResizedWidth = max(g.ResizedWidth, s.Width)
		g.ResizedHeight = max(g.ResizedHeight, s.Height)
		g.CropX = roundHalfEven(float64(g.ResizedWidth-s.Width) / 2)
		g.CropY = roundHalfEven(float64(g.ResizedHeight-s.Height) / 2)
	}
	r := g.Region
	sx := float64(r.Dx()) / float64(g.ResizedWidth)
	sy := float64(r.Dy()) / float64(g.ResizedHeight)
	g.Crop = Rect{
		X0: float64(r.Min.X) + float64(g.CropX)*sx, Y0: float64(r.Min.Y) + float64(g.CropY)*sy,
		X1: float64(r.Min.X) + float64(g.CropX+s.Width)*sx, Y1: float64(r.Min.Y) + float64(g.CropY+s.Height)*sy,
	}
	return g, nil
}

// roundHalfEven is Python 3's round(), which torchvision's CenterCrop uses.
func roundHalfEven(x float64) int { return int(math.RoundToEven(x)) }

// TensorToPhoto maps tensor coordinates (u across, v down; pixel centres at
// i+0.5) to photo coordinates.
func (g Geometry) TensorToPhoto(u, v float64) (x, y float64) {
	return g.Crop.X0 + u*g.Crop.Dx()/float64(g.Width), g.Crop.Y0 + v*g.Crop.Dy()/float64(g.Height)
}

// PhotoToTensor is the inverse of TensorToPhoto. Points outside Crop map
// outside [0, Width] x [0, Height].
func (g Geometry) PhotoToTensor(x, y float64) (u, v float64) {
	return (x - g.Crop.X0) * float64(g.Width) / g.Crop.Dx(), (y - g.Crop.Y0) * float64(g.Height) / g.Crop.Dy()
}

// GridToPhoto maps coordinates on a gw x gh feature grid laid over the
// tensor (cell (i, j) covers [i, i+1) x [j, j+1); its centre is i+0.5) to
// photo coordinates.
func (g Geometry) GridToPhoto(gx, gy float64, gw, gh int) (x, y float64) {
	return g.TensorToPhoto(gx*float64(g.Width)/float64(gw), gy*float64(g.Height)/float64(gh))
}

// PhotoToGrid is the inverse of GridToPhoto.
func (g Geometry) PhotoToGrid(x, y float64, gw, gh int) (gx, gy float64) {
	u, v := g.PhotoToTensor(x, y)
	return u * float64(gw) / float64(g.Width), v * float64(gh) / float64(g.Height)
}

// GridCell is the photo rectangle covered by cell (i, j) of a gw x gh grid.
func (g Geometry) GridCell(i, j, gw, gh int) Rect {
	x0, y0 := g.GridToPhoto(float64(i), float64(j), gw, gh)
	x1, y1 := g.GridToPhoto(float64(i+1), float64(j+1), gw, gh)
	return Rect{x0, y0, x1, y1}
}
