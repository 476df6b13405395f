package preprocess

import (
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"math"
	"testing"
)

// tiny is a 2x2 photo with known pixels:
//
//	(10, 20, 30)   (40, 50, 60)
//	(70, 80, 90)   (255, 0, 128)
func tiny() *image.RGBA {
	im := image.NewRGBA(image.Rect(0, 0, 2, 2))
	im.SetRGBA(0, 0, color.RGBA{10, 20, 30, 255})
	im.SetRGBA(1, 0, color.RGBA{40, 50, 60, 255})
	im.SetRGBA(0, 1, color.RGBA{70, 80, 90, 255})
	im.SetRGBA(1, 1, color.RGBA{255, 0, 128, 255})
	return im
}

func TestPrepareKnownValues(t *testing.T) {
	in := Spec{Width: 2, Height: 2, Resize: Stretch, Layout: NCHW}
	withRange := func(s Spec, r string) Spec {
		var err error
		s.Mean, s.Std, err = ParseRange(r)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	bgr := withRange(in, "0,255")
	bgr.BGR = true
	nhwc := withRange(in, "0,255")
	nhwc.Layout = NHWC
	cases := map[string]struct {
		spec Spec
		want []float32
	}{
		"[0,255]": {withRange(in, "0,255"), []float32{10, 40, 70, 255, 20, 50, 80, 0, 30, 60, 90, 128}},
		"[0,1]":   {withRange(in, "[0, 1]"), []float32{10. / 255, 40. / 255, 70. / 255, 1, 20. / 255, 50. / 255, 80. / 255, 0, 30. / 255, 60. / 255, 90. / 255, 128. / 255}},
		"[-1,1]": {withRange(in, "-1,1"), []float32{
			10/127.5 - 1, 40/127.5 - 1, 70/127.5 - 1, 1, 20/127.5 - 1, 50/127.5 - 1, 80/127.5 - 1, -1, 30/127.5 - 1, 60/127.5 - 1, 90/127.5 - 1, 128/127.5 - 1}},
		"imagenet": {withRange(in, "imagenet"), []float32{
			(10./255 - 0.485) / 0.229, (40./255 - 0.485) / 0.229, (70./255 - 0.485) / 0.229, (1 - 0.485) / 0.229,
			(20./255 - 0.456) / 0.224, (50./255 - 0.456) / 0.224, (80./255 - 0.456) / 0.224, (0 - 0.456) / 0.224,
			(30./255 - 0.406) / 0.225, (60./255 - 0.406) / 0.225, (90./255 - 0.406) / 0.225, (128./255 - 0.406) / 0.225}},
		"bgr":  {bgr, []float32{30, 60, 90, 128, 20, 50, 80, 0, 10, 40, 70, 255}},
		"nhwc": {nhwc, []float32{10, 20, 30, 40, 50, 60, 70, 80, 90, 255, 0, 128}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, g, err := Prepare(tiny(), c.spec)
			if err != nil {
				t.Fatal(err)
			}
			wantShape := []int{1, 3, 2, 2}
			if c.spec.Layout == NHWC {
				wantShape = []int{1, 2, 2, 3}
			}
			if len(got.Shape) != 4 || got.Shape[1] != wantShape[1] || got.Shape[3] != wantShape[3] {
				t.Fatalf("shape %v, want %v", got.Shape, wantShape)
			}
			for i, w := range c.want {
				if math.Abs(float64(got.F[i]-w)) > 1e-6 {
					t.Errorf("value %d = %v, want %v", i, got.F[i], w)
				}
			}
			if g.Crop != (Rect{0, 0, 2, 2}) {
				t.Errorf("crop %v, want the whole photo", g.Crop)
			}
		})
	}
}

func TestNHWCMatchesNCHW(t *testing.T) {
	photo := readPNG(t, imagesDir+"/cat.png")
	for _, bgr := range []bool{false, true} {
		s := Torchvision(40)
		s.BGR = bgr
		a, _, err := Prepare(photo, s)
		if err != nil {
			t.Fatal(err)
		}
		s.Layout = NHWC
		b, _, err := Prepare(photo, s)
		if err != nil {
			t.Fatal(err)
		}
		for c := range 3 {
			for y := range 40 {
				for x := range 40 {
					if a.F[(c*40+y)*40+x] != b.F[(y*40+x)*3+c] {
						t.Fatalf("bgr=%v: NCHW[%d,%d,%d] != NHWC", bgr, c, y, x)
					}
				}
			}
		}
	}
}

func TestBGRSwapsChannelsAndMean(t *testing.T) {
	s := Spec{Width: 2, Height: 2, Resize: Stretch, Layout: NCHW,
		Mean: [3]float64{0.1, 0.2, 0.3}, Std: [3]float64{0.5, 0.6, 0.7}}
	rgb, _, _ := Prepare(tiny(), s)
	s.BGR = true
	s.Mean = [3]float64{0.3, 0.2, 0.1} // listed in tensor order: B, G, R
	s.Std = [3]float64{0.7, 0.6, 0.5}
	bgr, _, _ := Prepare(tiny(), s)
	for i := range 4 {
		if rgb.F[i] != bgr.F[8+i] || rgb.F[4+i] != bgr.F[4+i] || rgb.F[8+i] != bgr.F[i] {
			t.Fatalf("pixel %d: RGB %v vs BGR %v", i, rgb.F, bgr.F)
		}
	}
}

func TestValidateRejectsNonsense(t *testing.T) {
	ok := TFSlim(224)
	mod := func(f func(*Spec)) Spec { s := ok; f(&s); return s }
	cases := map[string]Spec{
		"zero size":      mod(func(s *Spec) { s.Width = 0 }),
		"negative size":  mod(func(s *Spec) { s.Height = -3 }),
		"huge size":      mod(func(s *Spec) { s.Width = 100000 }),
		"std zero":       mod(func(s *Spec) { s.Std[1] = 0 }),
		"std NaN":        mod(func(s *Spec) { s.Std[0] = math.NaN() }),
		"mean Inf":       mod(func(s *Spec) { s.Mean[2] = math.Inf(1) }),
		"unknown layout": mod(func(s *Spec) { s.Layout = "CHWN" }),
		"empty layout":   mod(func(s *Spec) { s.Layout = "" }),
		"unknown resize": mod(func(s *Spec) { s.Resize = "letterbox" }),
		"crop zero":      mod(func(s *Spec) { s.Resize = CenterCrop; s.CropFraction = 0 }),
		"crop over one":  mod(func(s *Spec) { s.Resize = CenterCrop; s.CropFraction = 1.5 }),
	}
	for name, s := range cases {
		t.Run(name, func(t *testing.T) {
			if err := s.Validate(); !errors.Is(err, ErrSpec) {
				t.Errorf("Validate() = %v, want ErrSpec", err)
			}
			if _, _, err := Prepare(tiny(), s); err == nil {
				t.Error("Prepare accepted it")
			}
		})
	}
	if err := ok.Validate(); err != nil {
		t.Error(err)
	}
	if _, _, err := ParseRange("0,2"); !errors.Is(err, ErrSpec) {
		t.Errorf("ParseRange(0,2) = %v", err)
	}
	if _, _, err := Prepare(image.NewRGBA(image.Rect(0, 0, 0, 5)), ok); err == nil {
		t.Error("Prepare accepted an empty photo")
	}
}

func TestPlanCenterCropLikeTorchvision(t *testing.T) {
	cases := []struct {
		w, h, size int
		frac       float64
		rw, rh     int
		cx, cy     int
	}{
		// torchvision.transforms Resize(256) + CenterCrop(224), worked by hand.
		{512, 343, 224, 0.875, 382, 256, 79, 16},
		{500, 610, 224, 0.875, 256, 312, 16, 44},
		{500, 500, 224, 0.875, 256, 256, 16, 16},
		{512, 430, 32, 0.875, 42, 36, 5, 2}, // the pets golden image
		{128, 128, 224, 0.875, 256, 256, 16, 16},
		{300, 200, 100, 1, 150, 100, 25, 0},
	}
	for _, c := range cases {
		s := Torchvision(c.size)
		s.CropFraction = c.frac
		g, err := Plan(c.w, c.h, s)
		if err != nil {
			t.Fatal(err)
		}
		if g.ResizedWidth != c.rw || g.ResizedHeight != c.rh || g.CropX != c.cx || g.CropY != c.cy {
			t.Errorf("%dx%d -> %d: resized %dx%d crop at %d,%d; want %dx%d at %d,%d",
				c.w, c.h, c.size, g.ResizedWidth, g.ResizedHeight, g.CropX, g.CropY, c.rw, c.rh, c.cx, c.cy)
		}
	}
}

func TestPlanSquareCrop(t *testing.T) {
	cases := []struct {
		w, h int
		frac float64
		want image.Rectangle
	}{
		{512, 341, 1, image.Rect(85, 0, 426, 341)},
		{500, 610, 1, image.Rect(0, 55, 500, 555)},
		{512, 341, 0.5, image.Rect(171, 85, 341, 255)},
		{3, 1, 1, image.Rect(1, 0, 2, 1)},
	}
	for _, c := range cases {
		s := TFSlim(16)
		s.Resize, s.CropFraction = SquareCrop, c.frac
		g, err := Plan(c.w, c.h, s)
		if err != nil {
			t.Fatal(err)
		}
		if g.Region != c.want || g.Crop != (Rect{float64(c.want.Min.X), float64(c.want.Min.Y), float64(c.want.Max.X), float64(c.want.Max.Y)}) {
			t.Errorf("%dx%d %v: region %v crop %v, want %v", c.w, c.h, c.frac, g.Region, g.Crop, c.want)
		}
	}
}

func TestGeometryRoundTrip(t *testing.T) {
	g, _ := Plan(512, 343, Torchvision(224))
	for _, p := range [][2]float64{{0, 0}, {10.5, 300}, {511.9, 1}} {
		u, v := g.PhotoToTensor(p[0], p[1])
		x, y := g.TensorToPhoto(u, v)
		gx, gy := g.PhotoToGrid(p[0], p[1], 7, 7)
		x2, y2 := g.GridToPhoto(gx, gy, 7, 7)
		if math.Abs(x-p[0]) > 1e-9 || math.Abs(y-p[1]) > 1e-9 || math.Abs(x2-p[0]) > 1e-9 || math.Abs(y2-p[1]) > 1e-9 {
			t.Errorf("%v -> (%v,%v) -> (%v,%v) / (%v,%v)", p, u, v, x, y, x2, y2)
		}
	}
	// Resized to 382x256, cropped at (79, 16): 224/382 of the width, 224/256
	// of the height, centred.
	want := Rect{79 * 512.0 / 382, 16 * 343.0 / 256, 303 * 512.0 / 382, 240 * 343.0 / 256}
	if math.Abs(g.Crop.X0-want.X0) > 1e-9 || math.Abs(g.Crop.X1-want.X1) > 1e-9 ||
		math.Abs(g.Crop.Y0-want.Y0) > 1e-9 || math.Abs(g.Crop.Y1-want.Y1) > 1e-9 {
		t.Errorf("crop %v, want %v", g.Crop, want)
	}
	cell := g.GridCell(0, 0, 7, 7)
	if math.Abs(cell.X0-want.X0) > 1e-9 || math.Abs(cell.Dx()-want.Dx()/7) > 1e-9 {
		t.Errorf("cell (0,0) = %v", cell)
	}
}

// TestMarkerLinesUpThroughCrops draws a bright marker on a dark photo at a
// known place, center-crops (or square-crops) it into a tensor, finds the marker in the
// tensor and on a coarse feature grid, maps both back to the photo and
// checks they land on the marker.
func TestMarkerLinesUpThroughCrops(t *testing.T) {
	const W, H = 640, 400
	marks := [][2]int{{400, 130}, {230, 300}, {320, 200}}
	for _, m := range marks {
		photo := image.NewRGBA(image.Rect(0, 0, W, H))
		for i := range photo.Pix {
			photo.Pix[i] = 255 * uint8(i%4/3) // black, opaque
		}
		for y := m[1] - 6; y < m[1]+6; y++ {
			for x := m[0] - 6; x < m[0]+6; x++ {
				photo.SetRGBA(x, y, color.RGBA{255, 255, 255, 255})
			}
		}
		for _, s := range []Spec{Torchvision(224), func() Spec { s := TFSlim(224); s.Resize, s.CropFraction = SquareCrop, 0.9; return s }()} {
			checkMarker(t, photo, m, s)
		}
	}
}

func checkMarker(t *testing.T, photo *image.RGBA, m [2]int, s Spec) {
	t.Helper()
	ten, g, err := Prepare(photo, s)
	if err != nil {
		t.Fatal(err)
	}
	// Centroid of the marker in the tensor's red plane.
	var su, sv, sw float64
	for v := range 224 {
		for u := range 224 {
			w := float64(ten.F[v*224+u]) - float64(ten.F[0])
			su += w * (float64(u) + 0.5)
			sv += w * (float64(v) + 0.5)
			sw += w
		}
	}
	x, y := g.TensorToPhoto(su/sw, sv/sw)
	if math.Hypot(x-float64(m[0]), y-float64(m[1])) > 0.5 {
		t.Errorf("%s: marker at %v found at (%.2f, %.2f) via the tensor", s.Resize, m, x, y)
	}
	// A 7x7 grid cell holding the marker's centre must contain it on the photo.
	gx, gy := g.PhotoToGrid(float64(m[0]), float64(m[1]), 7, 7)
	cell := g.GridCell(int(gx), int(gy), 7, 7)
	if float64(m[0]) < cell.X0 || float64(m[0]) >= cell.X1 || float64(m[1]) < cell.Y0 || float64(m[1]) >= cell.Y1 {
		t.Errorf("marker %v not in its grid cell %v", m, cell)
	}
}

func TestSpecJSONUsesSidecarNames(t *testing.T) {
	b, err := json.Marshal(Torchvision(224))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"width":224,"height":224,"resize":"center-crop","crop_fraction":0.875,"mean":[0.485,0.456,0.406],"std":[0.229,0.224,0.225],"bgr":false,"layout":"NCHW"}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}
