package display

import (
	"fmt"
	"strings"

	"camscope/app/explain"
)

// Percent formats a probability for a caption or a tile: 36.6%, 9.0%,
// 0.04%, <0.01%.
func Percent(p float64) string {
	switch {
	case p >= 0.001:
		return fmt.Sprintf("%.1f%%", 100*p)
	case p >= 0.0001:
		return fmt.Sprintf("%.2f%%", 100*p)
	}
	return "<0.01%"
}

// Title is the caption of an exported tile and of the explain command's
// list, e.g. "1. tabby, tabby cat 36.6%"; a class added outside the top k
// has no rank.
func Title(c explain.Explained) string {
	return FullTitle(c) + " " + Percent(c.Prob)
}

// FullTitle is rank and label, e.g. "1. tabby, tabby cat" (the large view).
func FullTitle(c explain.Explained) string {
	if c.Rank > 0 {
		return fmt.Sprintf("%d. %s", c.Rank, c.Label)
	}
	return c.Label
}

// ShortTitle is a tile's caption on screen: rank and the label's first name
// (ImageNet labels list synonyms: "tabby, tabby cat"); the large view shows
// it all.
func ShortTitle(c explain.Explained) string {
	title, _, _ := strings.Cut(c.Label, ", ")
	if c.Rank > 0 {
		title = fmt.Sprintf("%d. %s", c.Rank, title)
	}
	return title
}
