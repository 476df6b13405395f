package preprocess_test

import (
	"fmt"
	"image"

	"camscope/inference/preprocess"
)

// A model whose metadata says how it was trained, with a command-line
// override of the value range.
func ExampleResolve() {
	metadata := map[string]string{
		"preprocessing": "RGB image resized to 160x160; x = (pixel - 127.5) / 127.5 (range [-1,1]); float32 NCHW [1,3,160,160]",
	}
	spec, src, err := preprocess.Resolve([]int{1, 3, 160, 160}, 1001, metadata, "", preprocess.Options{Range: "0,1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(spec)
	fmt.Println("size from", src.Size, "- mean from", src.Mean)
	// Output:
	// 160x160 stretch, x = (p/255 - 0) / 1, RGB NCHW
	// size from metadata - mean from options
}

// Where a 7x7 feature grid lands on a 640x480 photo after a torchvision
// center crop: the photo is resized to 341x256 and the central 224x224 cut
// out, so the grid covers a 420x420 square of the photo (off centre by a
// pixel, as torchvision truncates and rounds), not the whole photo.
func ExampleGeometry_GridCell() {
	photo := image.NewRGBA(image.Rect(0, 0, 640, 480))
	_, g, _ := preprocess.Prepare(photo, preprocess.Torchvision(224))
	r := g.Crop
	fmt.Printf("tensor covers x %.1f-%.1f, y %.1f-%.1f\n", r.X0, r.X1, r.Y0, r.Y1)
	c := g.GridCell(0, 0, 7, 7)
	fmt.Printf("cell (0,0) covers x %.1f-%.1f, y %.1f-%.1f\n", c.X0, c.X1, c.Y0, c.Y1)
	// Output:
	// tensor covers x 108.9-529.3, y 30.0-450.0
	// cell (0,0) covers x 108.9-168.9, y 30.0-90.0
}
