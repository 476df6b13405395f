package photo_test

import (
	"errors"
	"fmt"

	"camscope/app/photo"
)

func ExampleLoad() {
	p, err := photo.Load("testdata/orient6.jpg")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Format, p.Image.Bounds().Size(), "orientation", p.Orientation)

	_, err = photo.Load("testdata/README.md")
	fmt.Println(err)
	fmt.Println(errors.Is(err, photo.ErrNotImage))
	// Output:
	// jpeg (16,12) orientation 6
	// README.md is a text file, not a photo. CAMscope opens PNG, JPEG, GIF, BMP, TIFF and WebP images.
	// true
}
