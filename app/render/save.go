package render

import (
	"fmt"
	"image"
	"image/png"
	"io"

	"camscope/app/atomicfile"
	"camscope/app/fastpng"
)

// fastPixels is the size, in pixels, above which SavePNG compresses for
// speed rather than size: at the default level a noisy 12 MP overlay takes
// seconds to compress, with fastpng about a tenth of one.
const fastPixels = 1 << 20

// SavePNG writes img to path as a PNG atomically: it encodes into a
// temporary file in the same folder and renames it over path only when
// everything was written and flushed, so readers never see a half-written
// file and an error leaves any previous file at path untouched. Pictures
// larger than a megapixel are compressed for speed, on every core
// (fastpng).
func SavePNG(path string, img image.Image) error {
	encode := png.Encode
	if b := img.Bounds(); b.Dx()*b.Dy() > fastPixels {
		encode = fastpng.Encode
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		if err := encode(w, img); err != nil {
			return fmt.Errorf("save %s: encode PNG: %w", path, err)
		}
		return nil
	})
}
