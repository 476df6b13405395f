package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// camTheme is Fyne's dark theme with a warm accent: photos and heat maps
// read best on a dark, quiet surround, and the accent echoes the maps.
type camTheme struct{ fyne.Theme }

func newTheme() fyne.Theme { return camTheme{theme.DefaultTheme()} }

var accent = color.NRGBA{R: 0xf5, G: 0x9e, B: 0x42, A: 0xff}

func (t camTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	switch n {
	case theme.ColorNamePrimary, theme.ColorNameFocus:
		if n == theme.ColorNameFocus {
			return color.NRGBA{R: accent.R, G: accent.G, B: accent.B, A: 0x7f}
		}
		return accent
	case theme.ColorNameSelection:
		return color.NRGBA{R: accent.R, G: accent.G, B: accent.B, A: 0x40}
	case theme.ColorNameBackground:
		return color.NRGBA{R: 0x1c, G: 0x1d, B: 0x21, A: 0xff}
	}
	return t.Theme.Color(n, theme.VariantDark)
}
