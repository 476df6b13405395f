package photo

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/image/webp"
)

// TestWebPMatchesLibwebp compares lossy WebP decoding with Pillow's
// (libwebp's) decoding of the same files: they must be identical (VP8 is
// bit-exact, and the upsampling and colour conversion are libwebp's).
// With alpha, both sides are composited onto white with the same formula.
func TestWebPMatchesLibwebp(t *testing.T) {
	for file, golden := range map[string]string{
		"lossy.webp":       "lossy_pil.png",
		"lossy_alpha.webp": "lossy_alpha_pil_on_white.png",
	} {
		t.Run(file, func(t *testing.T) {
			p, err := Load(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			f, _ := os.Open(filepath.Join("testdata", golden))
			defer f.Close()
			ref, err := png.Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			if mx, mean := diff(p.Image, ref); mx != 0 {
				t.Errorf("differs from libwebp: max %d, mean %.3f", mx, mean)
			}
			if want := file == "lossy_alpha.webp"; p.HadAlpha != want {
				t.Errorf("HadAlpha = %v, want %v", p.HadAlpha, want)
			}
		})
	}
	// Check that the files exercise the paths meant: YCbCr and NYCbCrA.
	for file, want := range map[string]string{"lossy.webp": "*image.YCbCr", "lossy_alpha.webp": "*image.NYCbCrA"} {
		raw, _ := os.ReadFile(filepath.Join("testdata", file))
		im, err := webp.Decode(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if got := typeName(im); got != want {
			t.Errorf("%s decodes as %s, want %s", file, got, want)
		}
	}
}

func typeName(im image.Image) string {
	switch im.(type) {
	case *image.YCbCr:
		return "*image.YCbCr"
	case *image.NYCbCrA:
		return "*image.NYCbCrA"
	}
	return "other"
}

// TestWebPRowPairing checks every small height and width, where libwebp's
// first, paired and last rows and columns meet: a flat picture must stay
// flat.
func TestWebPRowPairing(t *testing.T) {
	for w := 1; w <= 5; w++ {
		for h := 1; h <= 5; h++ {
			im := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
			for i := range im.Y {
				im.Y[i] = 100
			}
			for i := range im.Cb {
				im.Cb[i], im.Cr[i] = 60, 180
			}
			got := webpToRGB(im, nil, 0)
			first := got.RGBAAt(0, 0)
			for y := range h {
				for x := range w {
					if got.RGBAAt(x, y) != first {
						t.Fatalf("%dx%d: pixel (%d,%d) = %v, want %v", w, h, x, y, got.RGBAAt(x, y), first)
					}
				}
			}
		}
	}
}
