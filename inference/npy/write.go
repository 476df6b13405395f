package npy

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strings"

	"camscope/inference/tensor"
)

// Write encodes t as a .npy array: version 1.0 (2.0 if the header needs it),
// C order, '<f4' or '<i8'.
func Write(w io.Writer, t *tensor.Tensor) error {
	var descr string
	switch t.DType {
	case tensor.Float32:
		descr = "<f4"
		if len(t.F) != t.Len() {
			return fmt.Errorf("npy: tensor %s holds %d values", t, len(t.F))
		}
	case tensor.Int64:
		descr = "<i8"
		if len(t.I) != t.Len() {
			return fmt.Errorf("npy: tensor %s holds %d values", t, len(t.I))
		}
	default:
		return fmt.Errorf("%w: %s", ErrUnsupportedTy, t.DType)
	}
	dict := formatHeader(descr, t.Shape)
	// NumPy pads with spaces and ends with '\n' so that the data starts on a
	// 64-byte boundary (the preamble is 10 bytes in v1, 12 in v2).
	version, pre := byte(1), 10
	if len(dict)+1+pre+63 > math.MaxUint16 {
		version, pre = 2, 12
	}
	total := (pre + len(dict) + 1 + 63) / 64 * 64
	hdr := dict + strings.Repeat(" ", total-pre-len(dict)-1) + "\n"

	bw := bufio.NewWriter(w)
	bw.WriteString(magic)
	bw.Write([]byte{version, 0})
	if version == 1 {
		binary.Write(bw, binary.LittleEndian, uint16(len(hdr)))
	} else {
		binary.Write(bw, binary.LittleEndian, uint32(len(hdr)))
	}
	bw.WriteString(hdr)
	var b [8]byte
	if t.DType == tensor.Float32 {
		for _, v := range t.F {
			binary.LittleEndian.PutUint32(b[:4], math.Float32bits(v))
			bw.Write(b[:4])
		}
	} else {
		for _, v := range t.I {
			binary.LittleEndian.PutUint64(b[:], uint64(v))
			bw.Write(b[:])
		}
	}
	return bw.Flush()
}
