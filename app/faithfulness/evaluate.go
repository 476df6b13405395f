package faithfulness

import (
	"context"
	"fmt"
	"strings"
)

// Metric names a metric of Evaluate.
type Metric string

// The metrics Evaluate computes.
const (
	Drop      Metric = "drop" // average drop and increase in confidence (Confidence)
	Deletion  Metric = "deletion"
	Insertion Metric = "insertion"
	ROADScore Metric = "road"
)

// Metrics lists them in table order.
func Metrics() []Metric { return []Metric{Drop, Deletion, Insertion, ROADScore} }

// ParseMetrics reads a comma-separated list of metric names ("all" for
// every one).
func ParseMetrics(list string) ([]Metric, error) {
	if strings.TrimSpace(list) == "all" {
		return Metrics(), nil
	}
	var out []Metric
	for _, part := range strings.Split(list, ",") {
		m := Metric(strings.ToLower(strings.TrimSpace(part)))
		ok := false
		for _, known := range Metrics() {
			ok = ok || m == known
		}
		if !ok {
			return nil, fmt.Errorf("unknown metric %q: use drop, deletion, insertion, road or all", part)
		}
		for _, seen := range out {
			if seen == m {
				return nil, fmt.Errorf("metric %q is listed twice", m)
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// Options say which metrics Evaluate computes and how.
type Options struct {
	Metrics []Metric // nil: drop, deletion and insertion
	Steps   int      // of the curves; 0: DefaultSteps
	Seed    uint64   // of ROAD's noise
}

// Scores are one map's scores on one photo; a metric not asked for is
// nil.
type Scores struct {
	Confidence *Confidence `json:"confidence,omitempty"`
	Deletion   *Curve      `json:"deletion,omitempty"`
	Insertion  *Curve      `json:"insertion,omitempty"`
	ROAD       *ROAD       `json:"road,omitempty"`
}

// Evaluate computes the metrics asked for of the map s on the photo.
func (p *Photo) Evaluate(ctx context.Context, s Saliency, opt Options) (Scores, error) {
	metrics := opt.Metrics
	if metrics == nil {
		metrics = []Metric{Drop, Deletion, Insertion}
	}
	steps := opt.Steps
	if steps == 0 {
		steps = DefaultSteps
	}
	var sc Scores
	for _, m := range metrics {
		var err error
		switch m {
		case Drop:
			var c Confidence
			c, err = p.Confidence(ctx, s)
			sc.Confidence = &c
		case Deletion:
			var c Curve
			c, err = p.Deletion(ctx, s, steps)
			sc.Deletion = &c
		case Insertion:
			var c Curve
			c, err = p.Insertion(ctx, s, steps)
			sc.Insertion = &c
		case ROADScore:
			var r ROAD
			r, err = p.ROAD(ctx, s, opt.Seed)
			sc.ROAD = &r
		default:
			err = fmt.Errorf("unknown metric %q", m)
		}
		if err != nil {
			return Scores{}, err
		}
	}
	return sc, nil
}
