package render

import (
	"fmt"
	"image"
	"image/png"
	"io"

	"camscope/app/atomicfile"
)

// fastPixels is the size, in pixels, above which SavePNG compresses for
// speed rather than size: at the default level a noisy 12 MP overlay takes
// seconds to compress, at png.BestSpeed a fraction of one.
const fastPixels = 1 << 20

// SavePNG writes img to path as a PNG atomically: it encodes into a
// temporary file in the same folder and renames it over path only when
// everything was written and flushed, so readers never see a half-written
// file and an error leaves any previous file at path untouched. Pictures
// larger than a megapixel are compressed with png.BestSpeed.
func SavePNG(path string, img image.Image) error {
	enc := png.Encoder{}
	if b := img.Bounds(); b.Dx()*b.Dy() > fastPixels {
		enc.CompressionLevel = png.BestSpeed
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		if err := enc.Encode(w, img); err != nil {
			return fmt.Errorf("save %s: encode PNG: %w", path, err)
		}
		return nil
	})
}
