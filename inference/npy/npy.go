// Package npy reads and writes NumPy .npy files holding float32 or int64
// arrays in C order, the format of the PyTorch reference data in shared/ and
// of the tensors the CLI dumps for debugging.
//
// Reading accepts format versions 1.0, 2.0 and 3.0 with little-endian '<f4'
// or '<i8' data. Fortran order, other dtypes (including big-endian ones),
// truncated data and absurd headers are errors that say which file and what
// is wrong. Writing produces version 1.0 (2.0 when the
// header does not fit), and WriteFile replaces its target atomically.
//
// The format is described in numpy/lib/format.py and NEP 1.
package npy

import (
	"errors"
	"fmt"
)

// magic opens every .npy file.
const magic = "\x93NUMPY"

// Limits that keep a corrupt or hostile file from making us allocate
// gigabytes before we notice it is truncated.
const (
	// MaxHeaderLen bounds the header (the Python dict literal). NumPy's own
	// reader refuses headers over 10000 bytes by default.
	MaxHeaderLen = 1 << 16
	// MaxElements bounds the number of array elements (2 GiB of float32).
	MaxElements = 1 << 29
	// maxRank bounds the number of dimensions.
	maxRank = 32
)

// Sentinel errors, wrapped with detail by Read; test them with errors.Is.
var (
	ErrNotNpy        = errors.New("npy: not a NumPy .npy file")
	ErrVersion       = errors.New("npy: unsupported .npy format version")
	ErrHeader        = errors.New("npy: malformed .npy header")
	ErrFortranOrder  = errors.New("npy: Fortran-order arrays are not supported")
	ErrDType         = errors.New("npy: unsupported dtype")
	ErrTruncated     = errors.New("npy: file is truncated")
	ErrTooLarge      = errors.New("npy: array is too large")
	ErrUnsupportedTy = errors.New("npy: tensor dtype cannot be written")
)

// header is the decoded dict of a .npy header.
type header struct {
	descr        string
	fortranOrder bool
	shape        []int
}

func (h header) String() string {
	return fmt.Sprintf("descr %q, shape %v", h.descr, h.shape)
}
