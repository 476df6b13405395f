package npy

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"unicode/utf8"

	"camscope/inference/tensor"
)

// ReadFile reads the .npy file at path.
func ReadFile(path string) (*tensor.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	t, err := Read(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return t, nil
}

// Read decodes one .npy array from r. It does not read past the array's
// data, so several arrays written back to back can be read in turn.
func Read(r io.Reader) (*tensor.Tensor, error) {
	h, err := readHeader(r)
	if err != nil {
		return nil, err
	}
	n := tensor.Size(h.shape)
	switch h.descr {
	case "<f4":
		raw, err := readData(r, n, 4)
		if err != nil {
			return nil, fmt.Errorf("%w (%s)", err, h)
		}
		data := make([]float32, n)
		for i := range data {
			data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		return tensor.FromFloat32(h.shape, data), nil
	case "<i8":
		raw, err := readData(r, n, 8)
		if err != nil {
			return nil, fmt.Errorf("%w (%s)", err, h)
		}
		data := make([]int64, n)
		for i := range data {
			data[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
		}
		return tensor.FromInt64(h.shape, data), nil
	}
	return nil, fmt.Errorf("%w %q: only little-endian float32 ('<f4') and int64 ('<i8') can be read; convert with arr.astype('<f4')", ErrDType, h.descr)
}

func readHeader(r io.Reader) (header, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return header{}, fmt.Errorf("%w: the file is empty", ErrNotNpy)
		}
		return header{}, fmt.Errorf("%w: shorter than the 8-byte preamble", ErrNotNpy)
	}
	if string(pre[:6]) != magic {
		return header{}, fmt.Errorf("%w: it does not start with \\x93NUMPY", ErrNotNpy)
	}
	major, minor := pre[6], pre[7]
	var hlen int
	switch major {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return header{}, fmt.Errorf("%w: header length missing", ErrTruncated)
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return header{}, fmt.Errorf("%w: header length missing", ErrTruncated)
		}
		l := binary.LittleEndian.Uint32(b[:])
		if l > MaxHeaderLen {
			return header{}, fmt.Errorf("%w: header claims %d bytes (limit %d)", ErrHeader, l, MaxHeaderLen)
		}
		hlen = int(l)
	default:
		return header{}, fmt.Errorf("%w %d.%d (1.0, 2.0 and 3.0 are supported)", ErrVersion, major, minor)
	}
	if minor != 0 {
		return header{}, fmt.Errorf("%w %d.%d (1.0, 2.0 and 3.0 are supported)", ErrVersion, major, minor)
	}
	buf := make([]byte, hlen)
	if _, err := io.ReadFull(r, buf); err != nil {
		return header{}, fmt.Errorf("%w: header is %d bytes but the file ends first", ErrTruncated, hlen)
	}
	// Version 1 and 2 headers are latin-1, version 3 UTF-8; NumPy only ever
	// writes ASCII there, and so do we.
	if major == 3 && !utf8.Valid(buf) {
		return header{}, fmt.Errorf("%w: version 3 header is not valid UTF-8", ErrHeader)
	}
	h, err := parseHeader(string(buf))
	if err != nil {
		return header{}, err
	}
	if h.fortranOrder {
		return header{}, fmt.Errorf("%w (%s); save with np.save(path, np.ascontiguousarray(arr))", ErrFortranOrder, h)
	}
	n := 1
	for _, d := range h.shape {
		if d != 0 && n > MaxElements/d {
			return header{}, fmt.Errorf("%w: shape %v has more than %d elements", ErrTooLarge, h.shape, MaxElements)
		}
		n *= d
	}
	return h, nil
}

// readData reads n elements of size bytes. It grows its buffer as data
// arrives, so a header that lies about the shape of a short file costs an
// error, not a giant allocation.
func readData(r io.Reader, n, size int) ([]byte, error) {
	want := n * size
	const chunk = 1 << 20
	buf := make([]byte, 0, min(want, chunk))
	for len(buf) < want {
		step := min(want-len(buf), chunk)
		buf = append(buf, make([]byte, step)...)
		got, err := io.ReadFull(r, buf[len(buf)-step:])
		if err != nil {
			have := len(buf) - step + got
			return nil, fmt.Errorf("%w: %d data bytes expected, %d present", ErrTruncated, want, have)
		}
	}
	return buf, nil
}
