package preprocess

import (
	"image"
	"testing"
)

func benchPhoto(b *testing.B) *image.RGBA {
	im := image.NewRGBA(image.Rect(0, 0, 512, 343)) // the size of the shared photos
	for i := range im.Pix {
		im.Pix[i] = uint8(i * 7)
	}
	return im
}

func BenchmarkPrepare(b *testing.B) {
	photo := benchPhoto(b)
	sq := TFSlim(224)
	sq.Resize, sq.CropFraction = SquareCrop, 1
	for name, s := range map[string]Spec{"stretch": TFSlim(224), "center-crop": Torchvision(224), "square-crop": sq} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := Prepare(photo, s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkResizeUpscale(b *testing.B) {
	photo := image.NewRGBA(image.Rect(0, 0, 128, 128))
	b.ReportAllocs()
	for b.Loop() {
		Resize(photo, 224, 224)
	}
}
