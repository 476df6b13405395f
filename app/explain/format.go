package explain

import (
	"fmt"
	"strconv"
)

func itoa(i int) string { return strconv.Itoa(i) }

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
