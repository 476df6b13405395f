package render

import (
	"errors"
	"image/color"
	"strings"
	"testing"

	"github.com/lucasb-eyer/go-colorful"
)

// published holds matplotlib 3.6 colormap values (matplotlib.colormaps[name](v)
// as hex), turbo being Google's table as shipped in matplotlib.
var published = map[string][]struct {
	v   float32
	hex string
}{
	"viridis": {{0, "#440154"}, {0.1, "#482475"}, {0.25, "#3b528b"}, {0.4, "#2a788e"}, {0.5, "#21918c"}, {0.6, "#22a884"}, {0.75, "#5ec962"}, {0.9, "#bddf26"}, {1, "#fde725"}},
	"inferno": {{0, "#000004"}, {0.1, "#160b39"}, {0.25, "#57106e"}, {0.4, "#932667"}, {0.5, "#bc3754"}, {0.6, "#dd513a"}, {0.75, "#f98e09"}, {0.9, "#f6d746"}, {1, "#fcffa4"}},
	"magma":   {{0, "#000004"}, {0.1, "#140e36"}, {0.25, "#51127c"}, {0.4, "#8c2981"}, {0.5, "#b73779"}, {0.6, "#de4968"}, {0.75, "#fc8961"}, {0.9, "#fecf92"}, {1, "#fcfdbf"}},
	"plasma":  {{0, "#0d0887"}, {0.1, "#41049d"}, {0.25, "#7e03a8"}, {0.4, "#b12a90"}, {0.5, "#cc4778"}, {0.6, "#e16462"}, {0.75, "#f89540"}, {0.9, "#fcce25"}, {1, "#f0f921"}},
	"cividis": {{0, "#00224e"}, {0.1, "#083370"}, {0.25, "#434e6c"}, {0.4, "#666970"}, {0.5, "#7d7c78"}, {0.6, "#948e77"}, {0.75, "#bcae6c"}, {0.9, "#e5cf52"}, {1, "#fee838"}},
	"turbo":   {{0, "#30123b"}, {0.1, "#4559cb"}, {0.25, "#28bceb"}, {0.4, "#46f884"}, {0.5, "#a4fc3c"}, {0.6, "#e1dd37"}, {0.75, "#fb7e21"}, {0.9, "#c32503"}, {1, "#7a0403"}},
	"jet":     {{0, "#000080"}, {0.1, "#0000f1"}, {0.25, "#0080ff"}, {0.4, "#29ffce"}, {0.5, "#7dff7a"}, {0.6, "#ceff29"}, {0.75, "#ff9400"}, {0.9, "#f10800"}, {1, "#800000"}},
	"gray":    {{0, "#000000"}, {0.1, "#191919"}, {0.25, "#404040"}, {0.4, "#666666"}, {0.5, "#808080"}, {0.6, "#999999"}, {0.75, "#c0c0c0"}, {0.9, "#e6e6e6"}, {1, "#ffffff"}},
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

func TestColormapsMatchPublishedValues(t *testing.T) {
	const tol = 2 // per channel, out of 255
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			samples, ok := published[name]
			if !ok {
				t.Fatalf("no published values for %s", name)
			}
			cm, err := LookupColormap(name)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range samples {
				want, err := colorful.Hex(s.hex)
				if err != nil {
					t.Fatal(err)
				}
				wr, wg, wb := want.RGB255()
				got := cm.At(s.v)
				if absDiff(got.R, wr) > tol || absDiff(got.G, wg) > tol || absDiff(got.B, wb) > tol || got.A != 255 {
					t.Errorf("%s(%g) = #%02x%02x%02x, want %s", name, s.v, got.R, got.G, got.B, s.hex)
				}
			}
		})
	}
}

func TestColormapAtClampsAndIgnoresNaN(t *testing.T) {
	nan := float32(0)
	nan /= nan
	lut := Viridis.Table()
	for _, tc := range []struct {
		v    float32
		want color.RGBA
	}{
		{-3, lut[0]}, {nan, lut[0]}, {7, lut[255]}, {1, lut[255]}, {0.999, lut[255]}, {0.5, lut[128]},
	} {
		if got := Viridis.At(tc.v); got != tc.want {
			t.Errorf("At(%g) = %v, want %v", tc.v, got, tc.want)
		}
	}
}

func TestColormapsAreSmooth(t *testing.T) {
	// A key typo shows up as a jump between neighbouring entries. jet's
	// steepest channel climbs 1/0.125 per unit, about 8 levels per entry.
	for _, cm := range Colormaps() {
		lut := cm.Table()
		for i := 1; i < 256; i++ {
			a, b := lut[i-1], lut[i]
			if d := max(absDiff(a.R, b.R), absDiff(a.G, b.G), absDiff(a.B, b.B)); d > 9 {
				t.Errorf("%s: entries %d and %d differ by %d", cm.Name(), i-1, i, d)
			}
		}
	}
}

func TestLookupColormap(t *testing.T) {
	for _, name := range []string{"viridis", "VIRIDIS", " Viridis "} {
		cm, err := LookupColormap(name)
		if err != nil || cm != Viridis {
			t.Errorf("LookupColormap(%q) = %v, %v; want viridis", name, cm, err)
		}
	}
	_, err := LookupColormap("rainbow")
	if !errors.Is(err, ErrUnknownColormap) {
		t.Fatalf("LookupColormap(rainbow) error = %v, want ErrUnknownColormap", err)
	}
	for _, name := range Names() {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not list %s", err, name)
		}
	}
}

// Used by the tests only.

// String returns the colormap's name.
func (c *Colormap) String() string { return c.name }

// Table returns a copy of the 256-entry lookup table.
func (c *Colormap) Table() [256]color.RGBA { return c.lut }

// Colormaps returns the predefined colormaps in the order of Names.
func Colormaps() []*Colormap { return append([]*Colormap(nil), colormaps...) }
