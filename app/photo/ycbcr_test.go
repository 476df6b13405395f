package photo

import (
	"bytes"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// TestJPEGColoursMatchLibjpeg compares decoded JPEGs of every chroma
// subsampling with Pillow's (libjpeg-turbo) decoding of the same files
// (testdata/README.md). The IDCTs differ, so values may be a few levels
// apart; the chroma upsampling and colour conversion are libjpeg's, which
// keeps colour edges in place. Go's own conversion (repeated chroma
// samples) is logged for comparison.
func TestJPEGColoursMatchLibjpeg(t *testing.T) {
	for _, ratio := range []struct {
		name string
		want image.YCbCrSubsampleRatio
	}{{"444", image.YCbCrSubsampleRatio444}, {"422", image.YCbCrSubsampleRatio422},
		{"420", image.YCbCrSubsampleRatio420}, {"440", image.YCbCrSubsampleRatio440}} {
		t.Run(ratio.name, func(t *testing.T) {
			path := filepath.Join("testdata", "chroma"+ratio.name+".jpg")
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			plain, err := jpeg.Decode(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			if yc, ok := plain.(*image.YCbCr); !ok || yc.SubsampleRatio != ratio.want {
				t.Fatalf("test file decodes as %T, not %v", plain, ratio.want)
			}
			p, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			f, _ := os.Open(filepath.Join("testdata", "chroma"+ratio.name+"_pil.png"))
			defer f.Close()
			ref, err := png.Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			goRGB := image.NewRGBA(plain.Bounds())
			draw.Draw(goRGB, goRGB.Bounds(), plain, plain.Bounds().Min, draw.Src)
			maxOurs, meanOurs := diff(p.Image, ref)
			maxGo, meanGo := diff(goRGB, ref)
			t.Logf("vs Pillow: ours max %d mean %.3f; image/draw max %d mean %.3f", maxOurs, meanOurs, maxGo, meanGo)
			if maxOurs > 4 || meanOurs > 0.2 {
				t.Errorf("too far from libjpeg: max %d, mean %.3f", maxOurs, meanOurs)
			}
		})
	}
}

func diff(a *image.RGBA, b image.Image) (int, float64) {
	bb := b.Bounds()
	if a.Bounds().Size() != bb.Size() {
		return 1 << 30, 0
	}
	mx, sum := 0, 0
	for y := range bb.Dy() {
		for x := range bb.Dx() {
			r, g, bl, _ := b.At(bb.Min.X+x, bb.Min.Y+y).RGBA()
			px := a.Pix[a.PixOffset(x, y):]
			for c, v := range []uint32{r >> 8, g >> 8, bl >> 8} {
				d := int(px[c]) - int(v)
				d = max(d, -d)
				mx = max(mx, d)
				sum += d
			}
		}
	}
	return mx, float64(sum) / float64(3*bb.Dx()*bb.Dy())
}

// TestUpsamplersOnTinyPlanes covers one- and two-sample-wide planes, where
// libjpeg's first and last columns coincide.
func TestUpsamplersOnTinyPlanes(t *testing.T) {
	for _, w := range []int{1, 2, 3, 4} {
		for _, h := range []int{1, 2, 3} {
			for _, r := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio440} {
				im := image.NewYCbCr(image.Rect(0, 0, w, h), r)
				for i := range im.Y {
					im.Y[i] = 128
				}
				for i := range im.Cb {
					im.Cb[i], im.Cr[i] = 90, 200
				}
				got := ycbcrToRGB(im)
				if got == nil || got.Bounds() != image.Rect(0, 0, w, h) {
					t.Fatalf("%dx%d %v: %v", w, h, r, got)
				}
				// A flat chroma plane must stay flat.
				first := got.RGBAAt(0, 0)
				for y := range h {
					for x := range w {
						if got.RGBAAt(x, y) != first {
							t.Errorf("%dx%d %v: pixel (%d,%d) = %v, want %v", w, h, r, x, y, got.RGBAAt(x, y), first)
						}
					}
				}
			}
		}
	}
}
