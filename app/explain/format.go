package explain

import (
	"fmt"
	"strconv"
)

func itoa(i int) string { return strconv.Itoa(i) }

// percent formats a probability for a caption: 36.6%, 0.04%, <0.01%.
func percent(p float64) string {
	switch {
	case p >= 0.1:
		return fmt.Sprintf("%.1f%%", 100*p)
	case p >= 0.0001:
		return fmt.Sprintf("%.2f%%", 100*p)
	}
	return "<0.01%"
}
