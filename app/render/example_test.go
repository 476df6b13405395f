package render_test

import (
	"fmt"
	"image"
	"image/color"

	"camscope/app/render"
)

func ExampleLookupColormap() {
	cm, _ := render.LookupColormap("Viridis")
	fmt.Println(cm.Name(), cm.At(0), cm.At(1))
	_, err := render.LookupColormap("rainbow")
	fmt.Println(err)
	// Output:
	// viridis {68 1 84 255} {253 231 37 255}
	// render: unknown colormap "rainbow": choose one of cividis, gray, inferno, jet, magma, plasma, turbo, viridis
}

// Cell centres sit at (j+0.5) cell widths: a 2-cell map over 4 pixels has its
// centres at x = 1 and 3, and is clamped beyond them.
func ExampleUpsample() {
	m := render.Map{W: 2, H: 1, Data: []float32{0, 1}}
	up, covered := render.Upsample(m, render.FullRect(4, 1), 4, 1)
	fmt.Println(up.Data, covered)
	// A map covering only the middle two pixels (a center crop).
	up, covered = render.Upsample(m, render.Rect{X: 1, W: 2, H: 1}, 4, 1)
	fmt.Println(up.Data, covered)
	// Output:
	// [0 0.25 0.75 1] (0,0)-(4,1)
	// [0 0 1 0] (1,0)-(3,1)
}

// A GUI tile: prepare the heat once per map, re-blend on every opacity change.
func ExampleHeat() {
	photo := image.NewRGBA(image.Rect(0, 0, 400, 300))
	cam := render.Map{W: 7, H: 7, Data: make([]float32, 49)}
	cam.Data[24] = 5 // the centre cell
	heat := render.NewHeat(render.Normalize(cam, true), render.FullRect(400, 300), photo.Rect.Size(), render.Jet)

	tile := image.NewRGBA(photo.Rect)
	for _, opacity := range []float64{0.2, 0.5, 0.8} { // slider moves
		heat.Blend(tile, photo, opacity)
	}
	if box, ok := render.ThresholdBox(heat.Values(), 0.2); ok {
		render.DrawRect(tile, box, color.White, 2)
		fmt.Println("box", box)
	}
	// Output:
	// box (154,116)-(246,184)
}

func ExampleGrid() {
	photo := image.NewRGBA(image.Rect(0, 0, 160, 120))
	tiles := []render.Tile{
		{Image: photo, Title: "1. tabby cat 36.6%"},
		{Image: photo, Title: "2. tiger cat 21.3%"},
		{Image: photo, Title: "3. Egyptian cat 9.8%"},
	}
	grid := render.Grid(tiles, render.GridOptions{Columns: 3, Padding: 8})
	fmt.Println(grid.Bounds().Size().X)
	// Output:
	// 512
}

// A legend for a shared scale: the bar spans the raw values lo..hi.
func ExampleColorBar() {
	lo, hi := render.Range(true,
		render.Map{W: 2, H: 1, Data: []float32{0, 3.2}},
		render.Map{W: 2, H: 1, Data: []float32{-1, 6.4}})
	bar := render.ColorBar(render.Turbo, 300, 40, render.ColorBarOptions{
		Ticks:      render.LinearTicks(float64(lo), float64(hi), 3),
		Background: color.White,
	})
	fmt.Println(bar.Bounds(), render.LinearTicks(float64(lo), float64(hi), 3))
	// Output:
	// (0,0)-(300,40) [{0 0} {0.5 3.2} {1 6.4}]
}
