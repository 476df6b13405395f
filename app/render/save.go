package render

import (
	"fmt"
	"image"
	"image/png"
	"io"

	"camscope/app/atomicfile"
)

// SavePNG writes img to path as a PNG atomically: it encodes into a
// temporary file in the same folder and renames it over path only when
// everything was written and flushed, so readers never see a half-written
// file and an error leaves any previous file at path untouched.
func SavePNG(path string, img image.Image) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		if err := png.Encode(w, img); err != nil {
			return fmt.Errorf("save %s: encode PNG: %w", path, err)
		}
		return nil
	})
}
