// Package photo opens the photo a person drops on CAMscope: PNG, JPEG, GIF
// (first frame), BMP, TIFF or WebP, turned upright by its EXIF orientation
// and converted to opaque 8-bit RGB. Oversized images are refused from their
// header, before any pixel is decoded, and every failure is a sentence that
// says what is wrong and what to do.
//
// Colours match what Python tools (Pillow) give, because models are
// evaluated with them: lossy WebP is converted exactly as libwebp does
// (x/image/webp's YCbCr is limited-range BT.601, which Go's image/draw would
// read as full-range JFIF), and JPEG chroma is upsampled and converted as
// libjpeg does; only the IDCTs differ, by at most a few levels (mean about
// 0.04 on photos).
package photo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	// Decoders register themselves with package image.
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"
)

// Photo is a decoded, upright, opaque photo.
type Photo struct {
	// Image is the photo as 8-bit RGB with alpha 255 everywhere; transparent
	// parts were composited onto white. Its bounds start at (0, 0).
	Image *image.RGBA
	// Name is the file's base name (for titles and messages).
	Name string
	// Format is the decoder's name: "png", "jpeg", "gif", "bmp", "tiff" or
	// "webp".
	Format string
	// Orientation is the EXIF orientation (1-8) that was applied; 1 means
	// the photo was stored upright or carried no orientation.
	Orientation int
	// HadAlpha reports that some pixels were not opaque and were composited
	// onto white.
	HadAlpha bool
}

// Limits bound what Load accepts.
type Limits struct {
	MaxBytes  int64 // file size
	MaxPixels int   // width x height, before orientation
	MaxSide   int   // the larger of width and height
}

// DefaultLimits keep the decoded photo under about 200 MB of RGBA.
var DefaultLimits = Limits{MaxBytes: 256 << 20, MaxPixels: 50_000_000, MaxSide: 20000}

// Sentinel errors; every error returned by this package is an *Error that
// wraps one of them, except a context's error from LoadContext.
var (
	ErrUnreadable = errors.New("photo: file cannot be read")
	ErrEmpty      = errors.New("photo: file is empty")
	ErrTooLarge   = errors.New("photo: image is too large")
	ErrNotImage   = errors.New("photo: not an image CAMscope can open")
	ErrDamaged    = errors.New("photo: image is damaged")
)

// Error is a failure to open a photo. Its message is a complete sentence
// for the user.
type Error struct {
	Path string
	Msg  string
	Kind error // one of the sentinel errors
	Err  error // the underlying error, if any
}

func (e *Error) Error() string { return e.Msg }

// Unwrap lets errors.Is match both the kind and the underlying error.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// formats and oneFormat name what CAMscope opens, in messages.
const (
	formats   = "PNG, JPEG, GIF, BMP, TIFF and WebP"
	oneFormat = "PNG, JPEG, GIF, BMP, TIFF or WebP"
)

// Load opens the photo at path with DefaultLimits.
func Load(path string) (*Photo, error) { return DefaultLimits.Load(path) }

// LoadContext opens the photo at path with DefaultLimits, giving up when
// ctx is done.
func LoadContext(ctx context.Context, path string) (*Photo, error) {
	return DefaultLimits.LoadContext(ctx, path)
}

// Load opens the photo at path.
func (l Limits) Load(path string) (*Photo, error) { return l.LoadContext(context.Background(), path) }

// LoadContext opens the photo at path. It looks at ctx before reading the
// file, before and after decoding the pixels and before turning them
// upright, and, when ctx is done,
// returns ctx's error as it is (the one error of this package that is not
// an *Error): a photo nobody waits for any more is not decoded to the end.
func (l Limits) LoadContext(ctx context.Context, path string) (*Photo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	name := filepath.Base(path)
	fail := func(kind, err error, format string, a ...any) (*Photo, error) {
		return nil, &Error{Path: path, Msg: fmt.Sprintf(format, a...), Kind: kind, Err: err}
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fail(ErrUnreadable, err, "%s does not exist. Check the file name and folder, then try again.", path)
	case errors.Is(err, fs.ErrPermission):
		return fail(ErrUnreadable, err, "CAMscope is not allowed to read %s. Copy the photo somewhere you can read, or change its permissions.", path)
	case err != nil:
		return fail(ErrUnreadable, err, "%s cannot be read (%v). Choose another file.", path, err)
	case fi.IsDir():
		return fail(ErrNotImage, nil, "%s is a folder, not a photo. Choose an image file inside it.", path)
	case !fi.Mode().IsRegular():
		return fail(ErrNotImage, nil, "%s is not a regular file. Choose a %s image.", path, oneFormat)
	case fi.Size() == 0:
		return fail(ErrEmpty, nil, "%s is empty (0 bytes). It may still be downloading or copying; choose it again when it is complete.", name)
	case fi.Size() > l.MaxBytes:
		return fail(ErrTooLarge, nil, "%s is %s; CAMscope opens image files up to %s. Save a smaller copy and try again.",
			name, humanBytes(fi.Size()), humanBytes(l.MaxBytes))
	}
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return fail(ErrUnreadable, err, "CAMscope is not allowed to read %s. Copy the photo somewhere you can read, or change its permissions.", path)
		}
		return fail(ErrUnreadable, err, "%s cannot be read (%v). Choose another file.", path, err)
	}
	defer f.Close()
	// The file may grow between Stat and now; never read more than the cap.
	data, err := io.ReadAll(io.LimitReader(f, l.MaxBytes+1))
	if err != nil {
		return fail(ErrUnreadable, err, "%s could not be read to the end (%v). If it is on a removable or network drive, copy it to this computer first.", path, err)
	}
	p, err := l.decode(ctx, data, name)
	if e, ok := err.(*Error); ok {
		e.Path = path
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Decode decodes an image file held in memory; name is used in messages.
func Decode(data []byte, name string) (*Photo, error) { return DefaultLimits.Decode(data, name) }

// Decode decodes an image file held in memory; name is used in messages.
// Errors are *Error values.
func (l Limits) Decode(data []byte, name string) (*Photo, error) {
	return l.decode(context.Background(), data, name)
}

// decode returns an *Error, or ctx's error when ctx is done between its
// steps.
func (l Limits) decode(ctx context.Context, data []byte, name string) (p *Photo, err error) {
	fail := func(kind, err error, format string, a ...any) (*Photo, error) {
		return nil, &Error{Msg: fmt.Sprintf(format, a...), Kind: kind, Err: err}
	}
	if len(data) == 0 {
		return fail(ErrEmpty, nil, "%s is empty (0 bytes). It may still be downloading or copying; choose it again when it is complete.", name)
	}
	if int64(len(data)) > l.MaxBytes {
		return fail(ErrTooLarge, nil, "%s is larger than %s, the most CAMscope opens. Save a smaller copy and try again.", name, humanBytes(l.MaxBytes))
	}
	// Third-party decoders have panicked on hostile input before; a bad
	// file must not take the program down.
	defer func() {
		if r := recover(); r != nil {
			p, err = fail(ErrDamaged, fmt.Errorf("decoder panic: %v", r),
				"%s is damaged and could not be decoded. Open it in an image editor and save it again, or choose another photo.", name)
		}
	}()

	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, image.ErrFormat) {
			return fail(ErrNotImage, err, "%s", notImageMessage(data, name))
		}
		return fail(ErrDamaged, err, "%s looks like a %s file but its header is damaged or incomplete. Save it again from the program that made it, or choose another photo.", name, upper(format))
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return fail(ErrDamaged, nil, "%s says it is %dx%d pixels, which is not a picture. Choose another photo.", name, cfg.Width, cfg.Height)
	}
	if cfg.Width > l.MaxSide || cfg.Height > l.MaxSide || int64(cfg.Width)*int64(cfg.Height) > int64(l.MaxPixels) {
		return fail(ErrTooLarge, nil, "%s is %dx%d pixels; CAMscope opens images up to %s megapixels and %d pixels a side. Scale it down and try again.",
			name, cfg.Width, cfg.Height, megapixels(l.MaxPixels), l.MaxSide)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || looksCut(format, data) {
			return fail(ErrDamaged, err, "%s is incomplete: the %s data ends early. The file may not have finished downloading or copying; get it again.", name, upper(format))
		}
		return fail(ErrDamaged, err, "%s could not be decoded as %s (%v). The file may be damaged; open it in an image editor and save it again, or choose another photo.", name, upper(format), err)
	}
	screen := image.Rect(0, 0, cfg.Width, cfg.Height)
	if b := img.Bounds(); !b.In(screen) || format != "gif" && b.Size() != screen.Size() {
		return fail(ErrDamaged, nil, "%s is damaged: its header and its pixels disagree about its size. Save it again, or choose another photo.", name)
	}
	orientation := orientationOf(format, data)
	rgb, hadAlpha := toRGB(img, format)
	if format == "gif" && img.Bounds() != screen {
		// A GIF's first frame may cover part of its logical screen; show it
		// in place, on white, as viewers do.
		rgb, hadAlpha = onScreen(rgb, img.Bounds().Min, screen), true
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &Photo{
		Image:       orient(rgb, orientation),
		Name:        name,
		Format:      format,
		Orientation: orientation,
		HadAlpha:    hadAlpha,
	}, nil
}

// looksCut reports whether a file that failed to decode lacks the marker its
// format ends with: the decoders report a cut file as a format error ("short
// Huffman data", "not enough pixel data"), but "it ends early" tells the user
// what to do.
func looksCut(format string, data []byte) bool {
	switch format {
	case "png":
		return !bytes.Contains(data[max(0, len(data)-64):], []byte("IEND"))
	case "jpeg":
		// 0xFF is byte-stuffed in scan data, so FF D9 is only ever a marker.
		return !bytes.Contains(data, []byte{0xFF, 0xD9})
	case "gif":
		return !bytes.HasSuffix(bytes.TrimRight(data, "\x00"), []byte{0x3B})
	}
	return false
}

func upper(format string) string {
	switch format {
	case "webp":
		return "WebP"
	case "":
		return "image"
	}
	return string(bytes.ToUpper([]byte(format)))
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func megapixels(n int) string {
	return strconv.FormatFloat(float64(n)/1e6, 'g', 3, 64)
}
