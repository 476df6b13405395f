package photo

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// quadrants is the upright test picture of testdata/README.md.
var quadrants = [4]color.RGBA{{220, 30, 30, 255}, {30, 200, 40, 255}, {40, 60, 230, 255}, {240, 220, 30, 255}}

func upright(w, h int) *image.RGBA {
	im := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			q := 0
			if x >= w/2 {
				q++
			}
			if y >= h/2 {
				q += 2
			}
			im.SetRGBA(x, y, quadrants[q])
		}
	}
	return im
}

// checkQuadrants compares the centre of each quadrant with the expected
// colour, within tol per channel (JPEG is lossy).
func checkQuadrants(t *testing.T, what string, im *image.RGBA, w, h, tol int) {
	t.Helper()
	if im.Bounds() != image.Rect(0, 0, w, h) {
		t.Fatalf("%s: bounds %v, want %dx%d at 0,0", what, im.Bounds(), w, h)
	}
	pts := [4]image.Point{{w / 4, h / 4}, {3 * w / 4, h / 4}, {w / 4, 3 * h / 4}, {3 * w / 4, 3 * h / 4}}
	for q, p := range pts {
		got, want := im.RGBAAt(p.X, p.Y), quadrants[q]
		d := max(absDiff(got.R, want.R), absDiff(got.G, want.G), absDiff(got.B, want.B))
		if d > tol || got.A != 255 {
			t.Errorf("%s: quadrant %d at %v is %v, want %v", what, q, p, got, want)
		}
	}
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

func encode(t *testing.T, format string, im image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&b, im)
	case "jpeg":
		err = jpeg.Encode(&b, im, &jpeg.Options{Quality: 95})
	case "gif":
		// Paletted with the exact colours, so GIF's quantizer cannot shift them.
		pal := image.NewPaletted(im.Bounds(), color.Palette{quadrants[0], quadrants[1], quadrants[2], quadrants[3], color.Transparent})
		draw.Draw(pal, pal.Bounds(), im, im.Bounds().Min, draw.Src)
		err = gif.Encode(&b, pal, nil)
	case "bmp":
		err = bmp.Encode(&b, im)
	case "tiff":
		err = tiff.Encode(&b, im, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDecodeFormats(t *testing.T) {
	src := upright(16, 12)
	for _, format := range []string{"png", "jpeg", "gif", "bmp", "tiff"} {
		p, err := Decode(encode(t, format, src), "x."+format)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if p.Format != format || p.Orientation != 1 || p.HadAlpha {
			t.Errorf("%s: %+v", format, p)
		}
		tol := 0
		if format == "jpeg" {
			tol = 12
		}
		checkQuadrants(t, format, p.Image, 16, 12, tol)
	}
	for f, tol := range map[string]int{"upright.png": 0, "upright_lossy.webp": 25} {
		p, err := Load(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		checkQuadrants(t, f, p.Image, 16, 12, tol)
	}
}

func TestLoadSharedPhoto(t *testing.T) {
	path := "../../../shared/images/bird.png"
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: the shared photos belong in ../shared/images, beside this checkout", err)
	}
	p, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := png.Decode(bytes.NewReader(raw))
	if p.Image.Bounds() != image.Rect(0, 0, 512, 343) || p.Name != "bird.png" {
		t.Fatalf("got %v %q", p.Image.Bounds(), p.Name)
	}
	for _, pt := range []image.Point{{0, 0}, {100, 200}, {511, 342}} {
		r, g, b, _ := want.At(pt.X, pt.Y).RGBA()
		if c := p.Image.RGBAAt(pt.X, pt.Y); c != (color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 255}) {
			t.Errorf("pixel %v = %v", pt, c)
		}
	}
}

// withExif inserts an APP1 EXIF segment holding orientation o right after
// a JPEG's SOI marker. A harmless tag precedes it so the IFD is scanned.
func withExif(jpg []byte, o int, bo binary.ByteOrder) []byte {
	var t bytes.Buffer
	if bo == binary.LittleEndian {
		t.WriteString("II")
	} else {
		t.WriteString("MM")
	}
	binary.Write(&t, bo, uint16(42))
	binary.Write(&t, bo, uint32(8))
	binary.Write(&t, bo, uint16(2))
	// 0x010F Make, ASCII, 4 bytes "Go\0\0" stored inline.
	binary.Write(&t, bo, []uint16{0x010F, 2})
	binary.Write(&t, bo, uint32(4))
	t.WriteString("Go\x00\x00")
	binary.Write(&t, bo, []uint16{0x0112, 3})
	binary.Write(&t, bo, uint32(1))
	binary.Write(&t, bo, []uint16{uint16(o), 0})
	binary.Write(&t, bo, uint32(0))
	seg := append([]byte("Exif\x00\x00"), t.Bytes()...)
	var out bytes.Buffer
	out.Write(jpg[:2])
	out.Write([]byte{0xFF, 0xE1})
	binary.Write(&out, binary.BigEndian, uint16(len(seg)+2))
	out.Write(seg)
	out.Write(jpg[2:])
	return out.Bytes()
}

// stored returns the image a camera would store for orientation o so that a
// viewer applying o shows up.
func stored(up *image.RGBA, o int) *image.RGBA {
	w, h := up.Bounds().Dx(), up.Bounds().Dy()
	sw, sh := w, h
	if o >= 5 {
		sw, sh = h, w
	}
	s := image.NewRGBA(image.Rect(0, 0, sw, sh))
	for y := range h {
		for x := range w {
			sx, sy := sourceOf(o, x, y, sw, sh)
			s.SetRGBA(sx, sy, up.RGBAAt(x, y))
		}
	}
	return s
}

func TestExifOrientationAllEight(t *testing.T) {
	up := upright(32, 16)
	for o := 1; o <= 8; o++ {
		for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			s := stored(up, o)
			data := withExif(encode(t, "jpeg", s), o, bo)
			p, err := Decode(data, "o.jpg")
			if err != nil {
				t.Fatal(err)
			}
			if p.Orientation != o {
				t.Errorf("orientation %d (%v): read %d", o, bo, p.Orientation)
			}
			checkQuadrants(t, "orientation "+string(rune('0'+o))+" "+bo.String(), p.Image, 32, 16, 12)
		}
	}
}

// TestStoredIsIndependentOfSourceOf checks the test helper's idea of each
// orientation against hand-written corner positions, so that orient and
// stored cannot agree on the same mistake.
func TestOrientationCorners(t *testing.T) {
	// Where the upright top-left pixel is stored, for a 3x2 upright image.
	// 6: stored turned counter-clockwise, so the top-left went to the
	// bottom-left; 8: turned clockwise, so it went to the top-right.
	want := map[int]image.Point{1: {0, 0}, 2: {2, 0}, 3: {2, 1}, 4: {0, 1}, 5: {0, 0}, 6: {0, 2}, 7: {1, 2}, 8: {1, 0}}
	up := image.NewRGBA(image.Rect(0, 0, 3, 2))
	up.SetRGBA(0, 0, color.RGBA{255, 0, 0, 255})
	for o, p := range want {
		s := stored(up, o)
		if s.RGBAAt(p.X, p.Y).R != 255 {
			t.Errorf("orientation %d: upright top-left should be stored at %v", o, p)
		}
		if got := orient(s, o); got.RGBAAt(0, 0).R != 255 || got.Bounds() != up.Bounds() {
			t.Errorf("orientation %d: orient does not undo it", o)
		}
	}
}

func TestExifWrittenByPIL(t *testing.T) {
	for _, f := range []string{"orient6.jpg", "orient6.png", "orient6.webp"} {
		p, err := Load(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		if p.Orientation != 6 {
			t.Errorf("%s: orientation %d, want 6", f, p.Orientation)
		}
		checkQuadrants(t, f, p.Image, 16, 12, 12)
	}
}

func TestAlphaCompositedOnWhite(t *testing.T) {
	im := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	im.SetNRGBA(0, 0, color.NRGBA{10, 20, 30, 0})  // fully transparent
	im.SetNRGBA(1, 0, color.NRGBA{255, 0, 0, 128}) // half red
	p, err := Decode(encode(t, "png", im), "a.png")
	if err != nil {
		t.Fatal(err)
	}
	if !p.HadAlpha {
		t.Error("HadAlpha is false")
	}
	if c := p.Image.RGBAAt(0, 0); c != (color.RGBA{255, 255, 255, 255}) {
		t.Errorf("transparent pixel = %v, want white", c)
	}
	if c := p.Image.RGBAAt(1, 0); c.R != 255 || absDiff(c.G, 127) > 1 || absDiff(c.B, 127) > 1 || c.A != 255 {
		t.Errorf("half-transparent red = %v, want about (255,127,127)", c)
	}
	// An NRGBA PNG that happens to be opaque is not reported as having alpha.
	p, _ = Decode(encode(t, "png", image.NewNRGBA(image.Rect(0, 0, 1, 1))), "b.png")
	if p.Image.RGBAAt(0, 0) != (color.RGBA{255, 255, 255, 255}) {
		t.Errorf("transparent black = %v", p.Image.RGBAAt(0, 0))
	}
}

// pngHeader returns a PNG signature and IHDR claiming w x h, and nothing
// else: enough for DecodeConfig.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 17)
	copy(ihdr, "IHDR")
	binary.BigEndian.PutUint32(ihdr[4:], w)
	binary.BigEndian.PutUint32(ihdr[8:], h)
	ihdr[12], ihdr[13] = 8, 2 // 8-bit RGB
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(ihdr)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(ihdr))
	return b.Bytes()
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := encode(t, "png", upright(64, 48))
	goodJPEG := encode(t, "jpeg", noise(256, 192))
	cases := map[string]struct {
		path string
		kind error
		msg  string
	}{
		"missing":        {filepath.Join(dir, "nope.png"), ErrUnreadable, "does not exist"},
		"folder":         {dir, ErrNotImage, "is a folder"},
		"empty":          {write("empty.png", nil), ErrEmpty, "empty.png is empty (0 bytes)"},
		"text":           {write("notes.txt", []byte("hello\nworld\n")), ErrNotImage, "notes.txt is a text file, not a photo"},
		"onnx":           {write("model.onnx", []byte{0x08, 0x07, 0x12, 0x04, 'o', 'n', 'n', 'x', 0xff}), ErrNotImage, "ONNX model, not a photo. Choose it as the model"},
		"tflite":         {write("classifier.bin", []byte{0x1c, 0, 0, 0, 'T', 'F', 'L', '3', 0, 0}), ErrNotImage, "TensorFlow Lite model, not a photo. Choose it as the model"},
		"onnx by bytes":  {write("model.bin", []byte{0x08, 0x07, 0x12, 0x07, 'p', 'y', 't', 'o', 'r', 'c', 'h', 0x3a, 'a', 'i', '.', 'o', 'n', 'n', 'x', 0x80}), ErrNotImage, "ONNX model"},
		"heic":           {write("IMG_1.HEIC", []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic")), ErrNotImage, "HEIC/AVIF"},
		"pdf":            {write("a.pdf", []byte("%PDF-1.7\n\x80\x81")), ErrNotImage, "PDF document"},
		"npy":            {write("a.npy", []byte("\x93NUMPY\x01\x00")), ErrNotImage, "NumPy array"},
		"binary":         {write("a.dat", []byte{0, 1, 2, 3, 250, 251}), ErrNotImage, "not an image CAMscope can open"},
		"truncated png":  {write("cut.png", good[:len(good)/2]), ErrDamaged, "cut.png is incomplete"},
		"truncated jpeg": {write("cut.jpg", goodJPEG[:len(goodJPEG)/2]), ErrDamaged, "cut.jpg is incomplete"},
		"header only":    {write("hdr.png", good[:20]), ErrDamaged, "header is damaged or incomplete"},
		"huge":           {write("photo.png", pngHeader(30000, 30000)), ErrTooLarge, "photo.png is 30000x30000 pixels; CAMscope opens images up to 50 megapixels and 20000 pixels a side. Scale it down and try again."},
		"too wide":       {write("strip.png", pngHeader(20001, 10)), ErrTooLarge, "20001x10 pixels"},
		"zero size":      {write("zero.png", pngHeader(0, 10)), ErrDamaged, ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := Load(c.path)
			if err == nil {
				t.Fatalf("loaded %+v", p)
			}
			var pe *Error
			if !errors.As(err, &pe) || !errors.Is(err, c.kind) {
				t.Fatalf("err = %#v, want an *Error of kind %v", err, c.kind)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("message %q does not contain %q", err, c.msg)
			}
			if pe.Path != c.path {
				t.Errorf("Path = %q, want %q", pe.Path, c.path)
			}
			t.Log(err)
		})
	}
}

// noise is a picture JPEG cannot compress much, so that most of its file is
// scan data rather than header.
func noise(w, h int) *image.RGBA {
	im := image.NewRGBA(image.Rect(0, 0, w, h))
	x := uint32(1)
	for i := range im.Pix {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		im.Pix[i] = uint8(x) | uint8(i%4/3*255)
	}
	return im
}

// TestGIFFrameSmallerThanScreen: a GIF whose first frame covers part of its
// logical screen is shown in place on a white screen-sized canvas.
func TestGIFFrameSmallerThanScreen(t *testing.T) {
	frame := image.NewPaletted(image.Rect(4, 2, 8, 5), color.Palette{color.RGBA{200, 0, 0, 255}})
	var b bytes.Buffer
	err := gif.EncodeAll(&b, &gif.GIF{Image: []*image.Paletted{frame}, Delay: []int{0},
		Config: image.Config{ColorModel: frame.Palette, Width: 10, Height: 6}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Decode(b.Bytes(), "anim.gif")
	if err != nil {
		t.Fatal(err)
	}
	if p.Image.Bounds() != image.Rect(0, 0, 10, 6) {
		t.Fatalf("bounds %v", p.Image.Bounds())
	}
	if c := p.Image.RGBAAt(5, 3); c != (color.RGBA{200, 0, 0, 255}) {
		t.Errorf("inside the frame: %v", c)
	}
	if c := p.Image.RGBAAt(0, 0); c != (color.RGBA{255, 255, 255, 255}) {
		t.Errorf("outside the frame: %v", c)
	}
}

func TestLimits(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "big.png")
	os.WriteFile(p, encode(t, "png", upright(64, 48)), 0o644)
	if _, err := (Limits{MaxBytes: 100, MaxPixels: 1e6, MaxSide: 1000}).Load(p); !errors.Is(err, ErrTooLarge) ||
		!strings.Contains(err.Error(), "opens image files up to 100 bytes") {
		t.Errorf("file size cap: %v", err)
	}
	if _, err := (Limits{MaxBytes: 1 << 20, MaxPixels: 3000, MaxSide: 1000}).Load(p); !errors.Is(err, ErrTooLarge) ||
		!strings.Contains(err.Error(), "big.png is 64x48 pixels; CAMscope opens images up to 0.003 megapixels") {
		t.Errorf("pixel cap: %v", err)
	}
	if _, err := (Limits{MaxBytes: 1 << 20, MaxPixels: 1e6, MaxSide: 1000}).Load(p); err != nil {
		t.Errorf("within limits: %v", err)
	}
}

func TestUnreadableFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root can read any file")
	}
	p := filepath.Join(t.TempDir(), "secret.png")
	os.WriteFile(p, encode(t, "png", upright(4, 4)), 0o000)
	if _, err := Load(p); !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), "not allowed to read") {
		t.Errorf("err = %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	im := upright(8, 6)
	for _, format := range []string{"png", "jpeg", "gif", "bmp", "tiff"} {
		var b bytes.Buffer
		switch format {
		case "png":
			png.Encode(&b, im)
		case "jpeg":
			jpeg.Encode(&b, im, nil)
		case "gif":
			gif.Encode(&b, im, nil)
		case "bmp":
			bmp.Encode(&b, im)
		case "tiff":
			tiff.Encode(&b, im, nil)
		}
		f.Add(b.Bytes())
	}
	var j bytes.Buffer
	jpeg.Encode(&j, im, nil)
	f.Add(withExif(j.Bytes(), 6, binary.BigEndian))
	for _, name := range []string{"orient6.webp", "orient6.png", "lossy.webp", "lossy_alpha.webp", "chroma422.jpg", "chroma440.jpg"} {
		if b, err := os.ReadFile(filepath.Join("testdata", name)); err == nil {
			f.Add(b)
		}
	}
	small := Limits{MaxBytes: 1 << 20, MaxPixels: 1 << 20, MaxSide: 4096}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := small.Decode(data, "fuzz")
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Msg == "" {
				t.Fatalf("error is not a photo *Error with a message: %#v", err)
			}
			return
		}
		b := p.Image.Bounds()
		if b.Min != (image.Point{}) || b.Dx()*b.Dy() > small.MaxPixels || p.Orientation < 1 || p.Orientation > 8 {
			t.Fatalf("bad photo: %v orientation %d", b, p.Orientation)
		}
	})
}

// countdown is a context that is done from its n-th look at Err on.
type countdown struct {
	context.Context
	n int
}

func (c *countdown) Err() error {
	if c.n--; c.n < 0 {
		return context.Canceled
	}
	return nil
}

// TestLoadContextStopsBetweenSteps cancels a load at each of its looks at
// the context in turn: each returns the context's error and no photo; with
// no cancellation the photo loads.
func TestLoadContextStopsBetweenSteps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.png")
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 8, 6))); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	checks := 0
	for ; checks < 100; checks++ {
		p, err := LoadContext(&countdown{context.Background(), checks}, path)
		if err == nil {
			if p == nil || p.Image.Rect.Dx() != 8 {
				t.Fatalf("loaded %+v", p)
			}
			break
		}
		if err != context.Canceled || p != nil {
			t.Fatalf("cancelled at look %d: %v, %v; want context.Canceled and no photo", checks, p, err)
		}
	}
	if checks < 3 {
		t.Errorf("the load looks at its context %d times; want it before reading, before decoding and after", checks)
	}
}
