package render

import (
	"errors"
	"fmt"
	"image/color"
	"sort"
	"strings"

	"github.com/lucasb-eyer/go-colorful"
)

// ErrUnknownColormap is returned (wrapped) by LookupColormap for a name that
// is not one of Names().
var ErrUnknownColormap = errors.New("render: unknown colormap")

// Colormap maps values in [0, 1] to colours through a 256-entry lookup table.
// A Colormap is immutable and safe for concurrent use.
type Colormap struct {
	name string
	lut  [256]color.RGBA
}

// key is a key colour at LUT index at (position at/255).
type key struct {
	hex string
	at  int
}

// fkey is a key colour at a fractional position in [0, 1].
type fkey struct {
	col colorful.Color
	pos float64
}

type blendFunc func(c1, c2 colorful.Color, t float64) colorful.Color

// The predefined colormaps, built once when the package is loaded.
var (
	Viridis = newColormap("viridis", hexKeys(viridisKeys), colorful.Color.BlendLab)
	Inferno = newColormap("inferno", hexKeys(infernoKeys), colorful.Color.BlendLab)
	Magma   = newColormap("magma", hexKeys(magmaKeys), colorful.Color.BlendLab)
	Plasma  = newColormap("plasma", hexKeys(plasmaKeys), colorful.Color.BlendLab)
	Cividis = newColormap("cividis", hexKeys(cividisKeys), colorful.Color.BlendLuv)
	Turbo   = newColormap("turbo", hexKeys(turboKeys), colorful.Color.BlendOkLab)
	Jet     = newColormap("jet", jetKeys, colorful.Color.BlendRgb)
	Gray    = newColormap("gray", grayKeys, colorful.Color.BlendRgb)
)

// colormaps lists the predefined maps in the order Names reports them:
// the perceptually uniform ones first, jet (still common in CAM papers) last.
var colormaps = []*Colormap{Jet, Turbo, Viridis, Inferno, Magma, Plasma, Cividis, Gray}

func hexKeys(ks []key) []fkey {
	out := make([]fkey, len(ks))
	for i, k := range ks {
		c, err := colorful.Hex(k.hex)
		if err != nil {
			panic("render: bad key colour " + k.hex)
		}
		out[i] = fkey{c, float64(k.at) / 255}
	}
	return out
}

// newColormap samples the gradient through keys (sorted by position, first at
// 0 and last at 1) at the 256 positions i/255.
func newColormap(name string, keys []fkey, blend blendFunc) *Colormap {
	c := &Colormap{name: name}
	seg := 0
	for i := range c.lut {
		p := float64(i) / 255
		for seg < len(keys)-2 && p > keys[seg+1].pos {
			seg++
		}
		k0, k1 := keys[seg], keys[seg+1]
		t := (p - k0.pos) / (k1.pos - k0.pos)
		r, g, b := blend(k0.col, k1.col, t).Clamped().RGB255()
		c.lut[i] = color.RGBA{r, g, b, 255}
	}
	return c
}

// Name returns the colormap's lower-case name.
func (c *Colormap) Name() string { return c.name }

// index maps v to a LUT index the way matplotlib does (floor(v*256), clamped),
// so that At(0.5) is entry 128 as in matplotlib's published values. NaN
// gives 0.
func index(v float32) int {
	if !(v > 0) {
		return 0
	}
	if v >= 1 {
		return 255
	}
	return int(v * 256)
}

// At returns the colour for v; v is clamped to [0, 1] and NaN counts as 0.
func (c *Colormap) At(v float32) color.RGBA { return c.lut[index(v)] }

// Names returns the names of the predefined colormaps.
func Names() []string {
	names := make([]string, len(colormaps))
	for i, c := range colormaps {
		names[i] = c.name
	}
	return names
}

// LookupColormap returns the predefined colormap with the given name, ignoring
// case and surrounding space. The error for an unknown name wraps
// ErrUnknownColormap and lists the valid names.
func LookupColormap(name string) (*Colormap, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for _, c := range colormaps {
		if c.name == n {
			return c, nil
		}
	}
	valid := Names()
	sort.Strings(valid)
	return nil, fmt.Errorf("%w %q: choose one of %s", ErrUnknownColormap, name, strings.Join(valid, ", "))
}
