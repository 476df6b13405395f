// Package fastpng encodes large opaque pictures as PNG on every core.
//
// image/png chooses a filter for each row by trying all five and compresses
// with one deflate stream: for a 12-megapixel overlay that is most of a
// second of one core, and an export of 20 such overlays spent most of its
// time there. fastpng writes the same format (8-bit RGB, the Up filter on
// every row) and compresses bands of rows on all cores at once with
// github.com/klauspost/compress's fastest level. Each band is its own
// sequence of deflate blocks ended by a sync flush, so the bands' outputs,
// written in order, form one valid zlib stream; its Adler-32 is combined
// from the bands'.
package fastpng

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"hash/adler32"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"runtime"
	"sync"

	"github.com/klauspost/compress/flate"
)

// bandBytes is about how many bytes of filtered rows one band compresses:
// large enough that restarting the compressor costs nothing measurable,
// small enough that the bands in flight (one per core) hold little memory.
const bandBytes = 4 << 20

// Encode writes img to w as a PNG. Opaque *image.RGBA pictures take the
// parallel path; anything else goes to image/png at its fastest level.
func Encode(w io.Writer, img image.Image) error {
	rgba, ok := img.(*image.RGBA)
	if !ok || !rgba.Opaque() || rgba.Rect.Empty() {
		enc := png.Encoder{CompressionLevel: png.BestSpeed}
		return enc.Encode(w, img)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	e := &encoder{w: bw, img: rgba, width: rgba.Rect.Dx(), height: rgba.Rect.Dy()}
	e.header()
	e.data()
	e.chunk("IEND", nil)
	if e.err != nil {
		return e.err
	}
	return bw.Flush()
}

type encoder struct {
	w             io.Writer
	img           *image.RGBA
	width, height int
	err           error
}

var signature = []byte("\x89PNG\r\n\x1a\n")

func (e *encoder) header() {
	if _, e.err = e.w.Write(signature); e.err != nil {
		return
	}
	var h [13]byte
	binary.BigEndian.PutUint32(h[0:], uint32(e.width))
	binary.BigEndian.PutUint32(h[4:], uint32(e.height))
	h[8] = 8 // bits per sample
	h[9] = 2 // colour type: truecolour (RGB)
	// h[10:13]: deflate, adaptive filtering, no interlace (all zero).
	e.chunk("IHDR", h[:])
}

// chunk writes one PNG chunk: length, type, data, CRC of type and data.
func (e *encoder) chunk(typ string, data []byte) {
	if e.err != nil {
		return
	}
	var head [8]byte
	binary.BigEndian.PutUint32(head[:4], uint32(len(data)))
	copy(head[4:], typ)
	crc := crc32.NewIEEE()
	crc.Write(head[4:])
	crc.Write(data)
	var tail [4]byte
	binary.BigEndian.PutUint32(tail[:], crc.Sum32())
	for _, b := range [][]byte{head[:], data, tail[:]} {
		if _, e.err = e.w.Write(b); e.err != nil {
			return
		}
	}
}

// band is one compressed run of rows.
type band struct {
	out   *bytes.Buffer // deflate blocks, ending byte-aligned
	adler uint32        // Adler-32 of the filtered rows
	n     int           // number of filtered bytes
	done  chan struct{}
}

// data writes the image data: a zlib header, each band as an IDAT chunk in
// order, and the combined Adler-32. At most one band per core is in
// flight: a band's slot is freed only once it is written.
func (e *encoder) data() {
	rowBytes := 1 + 3*e.width
	rows := max(1, bandBytes/rowBytes)
	n := (e.height + rows - 1) / rows
	workers := runtime.GOMAXPROCS(0)
	slots := make(chan struct{}, workers)
	queue := make(chan *band, workers)
	go func() {
		for i := range n {
			slots <- struct{}{}
			b := &band{done: make(chan struct{})}
			y0 := i * rows
			go func() {
				e.compress(b, y0, min(y0+rows, e.height), i == n-1)
				close(b.done)
			}()
			queue <- b
		}
		close(queue)
	}()
	// IDAT chunks are one stream split anywhere: the zlib header (deflate,
	// 32 KiB window, fastest) can be a chunk of its own.
	e.chunk("IDAT", []byte{0x78, 0x01})
	adler := uint32(1)
	for b := range queue {
		<-b.done
		e.chunk("IDAT", b.out.Bytes())
		adler = combine(adler, b.adler, b.n)
		buffers.Put(b.out)
		<-slots
	}
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], adler)
	e.chunk("IDAT", sum[:])
}

// writers and buffers are reused from band to band and picture to picture.
var (
	writers = sync.Pool{New: func() any {
		w, _ := flate.NewWriter(nil, flate.BestSpeed) // a valid level: no error
		return w
	}}
	buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}
)

// compress filters rows [y0, y1) with Up, dropping alpha, and deflates
// them into b; the last band ends the stream, the others end with a sync
// flush so that the next band's blocks can follow.
func (e *encoder) compress(b *band, y0, y1 int, last bool) {
	out := buffers.Get().(*bytes.Buffer)
	out.Reset()
	zw := writers.Get().(*flate.Writer)
	defer writers.Put(zw)
	zw.Reset(out)
	img := e.img
	row := make([]byte, 1+3*e.width)
	row[0] = 2 // filter type Up
	zero := make([]byte, 4*e.width)
	h := adler32.New()
	for y := y0; y < y1; y++ {
		cur := img.Pix[(y)*img.Stride : y*img.Stride+4*e.width]
		prev := zero
		if y > 0 {
			prev = img.Pix[(y-1)*img.Stride : (y-1)*img.Stride+4*e.width]
		}
		up(row[1:], cur, prev)
		h.Write(row)
		zw.Write(row) // a bytes.Buffer never fails
	}
	if last {
		zw.Close()
	} else {
		zw.Flush()
	}
	b.out, b.adler, b.n = out, h.Sum32(), (y1-y0)*len(row)
}

// up writes the Up filter of the RGB bytes of cur over prev (both RGBA).
func up(dst, cur, prev []byte) {
	for x := 0; x+3 < len(cur); x += 4 {
		c := cur[x : x+3 : x+3]
		p := prev[x : x+3 : x+3]
		d := dst[x/4*3 : x/4*3+3 : x/4*3+3]
		d[0], d[1], d[2] = c[0]-p[0], c[1]-p[1], c[2]-p[2]
	}
}

// combine returns the Adler-32 of the concatenation of two byte strings,
// given the checksum of the first (a1) and of the second (a2, of n bytes).
func combine(a1, a2 uint32, n int) uint32 {
	const mod = 65521
	s1a, s2a := a1&0xffff, a1>>16
	s1b, s2b := a2&0xffff, a2>>16
	rem := uint32(n % mod)
	s1 := (s1a + s1b + mod - 1) % mod
	s2 := (s2a + s2b + uint32((uint64(rem)*uint64(s1a))%mod) + mod - rem) % mod
	return s2<<16 | s1
}
