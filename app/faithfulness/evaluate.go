package faithfulness

import (
	"context"
	"fmt"
	"image"
	"strings"

	"camscope/inference"
)

// Metric names a metric of Evaluate.
type Metric string

// The metrics Evaluate computes.
const (
	Drop      Metric = "drop" // average drop and increase in confidence (Confidence)
	Deletion  Metric = "deletion"
	Insertion Metric = "insertion"
	ROADScore Metric = "road"
	// SanityMetric is the model-randomisation check (SanityCheck); it
	// needs Options.Model and Options.MapOf.
	SanityMetric Metric = "sanity"
)

// Metrics lists them in table order.
func Metrics() []Metric { return []Metric{Drop, Deletion, Insertion, ROADScore, SanityMetric} }

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
			return nil, fmt.Errorf("unknown metric %q: use drop, deletion, insertion, road, sanity or all", part)
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
	Seed    uint64   // of ROAD's noise and the sanity check's weights
	// Box, when not nil, is the object's true box on the input (pixels,
	// Max exclusive): Evaluate then localises the map too (Localise).
	Box *image.Rectangle
	// Model and MapOf give the sanity check the model and the map of the
	// method under test; SanityDepth is how many layers it re-initialises
	// (0: DefaultSanityDepth, or all the model has if fewer).
	Model       *inference.Model
	MapOf       MapFunc
	SanityDepth int
}

// DefaultSanityDepth is how many of the last layers the sanity check
// re-initialises unless asked otherwise.
const DefaultSanityDepth = 3

// Scores are one map's scores on one photo; a metric not asked for is
// nil.
type Scores struct {
	Confidence *Confidence `json:"confidence,omitempty"`
	Deletion   *Curve      `json:"deletion,omitempty"`
	Insertion  *Curve      `json:"insertion,omitempty"`
	ROAD       *ROAD       `json:"road,omitempty"`
	Sanity     *Sanity     `json:"sanity,omitempty"`
	// Localisation is measured when Options.Box is given.
	Localisation *Localisation `json:"localisation,omitempty"`
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
		case SanityMetric:
			if opt.Model == nil || opt.MapOf == nil {
				return Scores{}, fmt.Errorf("the sanity check needs the model and a way to compute the map with another model (Options.Model, Options.MapOf)")
			}
			depth := opt.SanityDepth
			if depth == 0 {
				depth = min(DefaultSanityDepth, len(opt.Model.WeightedLayers()))
			}
			var r Sanity
			r, err = SanityCheck(ctx, opt.Model, depth, opt.Seed, opt.MapOf)
			sc.Sanity = &r
		default:
			err = fmt.Errorf("unknown metric %q", m)
		}
		if err != nil {
			return Scores{}, err
		}
	}
	if opt.Box != nil {
		l, err := Localise(s, *opt.Box)
		if err != nil {
			return Scores{}, err
		}
		sc.Localisation = &l
	}
	return sc, nil
}
