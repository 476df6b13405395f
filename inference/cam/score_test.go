package cam

import (
	"cmp"
	"context"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"camscope/inference"
	"camscope/inference/internal/shareddata"
	"camscope/inference/preprocess"
	"camscope/inference/tensor"
)

// plainScores runs, for each channel ch of feat in channels, one forward
// pass of m on x multiplied by that channel's mask, computed the long way:
// the channel upsampled to the input's size by bilinear interpolation with
// corners aligned, then scaled by the minimum and maximum of the upsampled
// values (with pytorch-grad-cam's 1e-8). It returns each pass's logits
// and the blank (all-zero) input's.
func plainScores(t *testing.T, m *inference.Model, logits string, x, feat *tensor.Tensor, channels []int) (masked [][]float64, blank []float64) {
	t.Helper()
	run := func(in *tensor.Tensor) []float64 {
		out, err := m.Run(context.Background(), map[string]*tensor.Tensor{m.Inputs[0].Name: in}, logits)
		if err != nil {
			t.Fatal(err)
		}
		v := make([]float64, len(out[logits].F))
		for i, f := range out[logits].F {
			v[i] = float64(f)
		}
		return v
	}
	h, w := feat.Shape[2], feat.Shape[3]
	cin, H, W := x.Shape[1], x.Shape[2], x.Shape[3]
	at := func(ch, y, x int) float64 { return float64(feat.F[(ch*h+y)*w+x]) }
	for _, ch := range channels {
		up := make([]float64, H*W)
		for Y := range H {
			sy := float64(Y) * float64(h-1) / float64(H-1)
			y0 := int(math.Floor(sy))
			y1 := min(y0+1, h-1)
			fy := sy - float64(y0)
			for X := range W {
				sx := float64(X) * float64(w-1) / float64(W-1)
				x0 := int(math.Floor(sx))
				x1 := min(x0+1, w-1)
				fx := sx - float64(x0)
				up[Y*W+X] = (1-fy)*((1-fx)*at(ch, y0, x0)+fx*at(ch, y0, x1)) + fy*((1-fx)*at(ch, y1, x0)+fx*at(ch, y1, x1))
			}
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range up {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		in := tensor.New(x.Shape...)
		for c := range cin {
			for i, v := range up {
				in.F[c*H*W+i] = x.F[c*H*W+i] * float32((v-lo)/(hi-lo+1e-8))
			}
		}
		masked = append(masked, run(in))
	}
	return masked, run(tensor.New(x.Shape...))
}

// plainSoftmax is exp(v_i) / sum_j exp(v_j), shifted by the maximum.
func plainSoftmax(v []float64) []float64 {
	mx := math.Inf(-1)
	for _, x := range v {
		mx = math.Max(mx, x)
	}
	out := make([]float64, len(v))
	var sum float64
	for i, x := range v {
		out[i] = math.Exp(x - mx)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

// plainMap is sum over channels of weights[i] times channel channels[i].
func plainMap(feat *tensor.Tensor, channels []int, weights []float64) []float64 {
	hw := feat.Shape[2] * feat.Shape[3]
	out := make([]float64, hw)
	for i, ch := range channels {
		for p := range out {
			out[p] += weights[i] * float64(feat.F[ch*hw+p])
		}
	}
	return out
}

// checkMap fails unless got equals want to 1e-4 of want's largest |value|.
func checkMap(t *testing.T, what string, got Map, want []float64) {
	t.Helper()
	if len(got.Data) != len(want) {
		t.Fatalf("%s: %d cells, want %d", what, len(got.Data), len(want))
	}
	worst, scale := 0.0, 0.0
	for i, v := range want {
		worst = math.Max(worst, math.Abs(float64(got.Data[i])-v))
		scale = math.Max(scale, math.Abs(v))
	}
	if scale == 0 || worst > 1e-4*scale {
		t.Errorf("%s: differs from the plain computation by %g (map's largest |value| %g)", what, worst, scale)
	}
}

// TestScoreCAMMatchesPlainLoop checks Score-CAM against single forward
// passes written out plainly, both with the softmax over channels and with
// the paper's baseline, for two classes, in the fast variant: 32 channels
// of vgg_small's 128, 16 of resnet18's 512, every channel that did not
// run scored by the inverse-distance weighted mean of its three nearest
// run channels' scores, computed plainly here (TestRepresentatives and
// TestRefine check the choice of the run channels).
// TestScoreCAMExactMatchesPlainLoop does every channel of vgg_small, and
// TestScoreCAMFastVariant compares resnet18's exact map with the fast one.
func TestScoreCAMMatchesPlainLoop(t *testing.T) {
	for _, c := range []struct {
		model    string
		channels int
	}{{"vgg_small", 32}, {"resnet18", 16}} {
		t.Run(c.model, func(t *testing.T) { checkScoreCAM(t, c.model, c.channels) })
	}
}

// TestScoreCAMExactMatchesPlainLoop is TestScoreCAMMatchesPlainLoop on
// every channel of vgg_small (125 passes and 129 plain ones), skipped
// under the race detector.
func TestScoreCAMExactMatchesPlainLoop(t *testing.T) {
	skipUnderRace(t)
	checkScoreCAM(t, "vgg_small", 0)
}

// skipUnderRace skips the runs over every channel under the race
// detector; .ci/test runs them in its step without it.
func skipUnderRace(t *testing.T) {
	if raceDetector {
		t.Skip("hundreds of forward passes: run without the race detector (.ci/test does)")
	}
}

// plainMask is channel c of feat at the layer's grid, scaled to [0,1] by
// its minimum and maximum; nil for a constant channel.
func plainMask(feat *tensor.Tensor, c int) []float32 {
	hw := feat.Shape[2] * feat.Shape[3]
	a := feat.F[c*hw : (c+1)*hw]
	lo, hi := slices.Min(a), slices.Max(a)
	if lo == hi {
		return nil
	}
	m := make([]float32, hw)
	for i, v := range a {
		m[i] = (v - lo) / (hi - lo)
	}
	return m
}

// plainCellWeights is cellWeights computed the obvious way: the ridge
// regression of the run channels' scores y on their masks solved in its
// primal form, (A^T A + 0.1 I) u = A^T (y - mean(y)) for the centred masks
// A, by Gaussian elimination; cell p weighs 1 + |u_p| / mean|u|.
func plainCellWeights(feat *tensor.Tensor, run []int, y []float64) []float64 {
	hw := feat.Shape[2] * feat.Shape[3]
	rows := make([][]float64, len(run))
	var ym float64
	for i, r := range run {
		rows[i] = make([]float64, hw)
		for p, v := range plainMask(feat, r) {
			rows[i][p] = float64(v)
		}
		ym += y[i] / float64(len(run))
	}
	for p := range hw {
		var mean float64
		for _, row := range rows {
			mean += row[p] / float64(len(run))
		}
		for _, row := range rows {
			row[p] -= mean
		}
	}
	// The augmented system [A^T A + 0.1 I | A^T (y - mean)].
	sys := make([][]float64, hw)
	for p := range hw {
		sys[p] = make([]float64, hw+1)
		for q := range hw {
			for _, row := range rows {
				sys[p][q] += row[p] * row[q]
			}
		}
		sys[p][p] += 0.1
		for i, row := range rows {
			sys[p][hw] += row[p] * (y[i] - ym)
		}
	}
	for col := range hw {
		pivot := col
		for r := col + 1; r < hw; r++ {
			if math.Abs(sys[r][col]) > math.Abs(sys[pivot][col]) {
				pivot = r
			}
		}
		sys[col], sys[pivot] = sys[pivot], sys[col]
		for r := range hw {
			if r == col {
				continue
			}
			f := sys[r][col] / sys[col][col]
			for q := col; q <= hw; q++ {
				sys[r][q] -= f * sys[col][q]
			}
		}
	}
	u := make([]float64, hw)
	var sum float64
	for p := range hw {
		u[p] = math.Abs(sys[p][hw] / sys[p][p])
		sum += u[p]
	}
	cell := make([]float64, hw)
	for p := range cell {
		cell[p] = 1
		if sum > 0 {
			cell[p] += u[p] / sum * float64(hw)
		}
	}
	return cell
}

// plainShares returns, for channel ch of feat, the indices in run of the
// channels whose scores make its score and their weights: itself (or the
// first run channel of the same mask) alone, else the three run channels
// whose masks are nearest, cell p of the grid weighed by cell[p] (nil:
// 1), weighted by 1/distance and summing to 1. It returns nil for a
// constant channel.
func plainShares(feat *tensor.Tensor, run []int, ch int, cell []float64) (idx []int, w []float64) {
	m := plainMask(feat, ch)
	if m == nil {
		return nil, nil
	}
	d := make([]float64, len(run))
	order := make([]int, len(run))
	for i, r := range run {
		mr := plainMask(feat, r)
		for p := range m {
			e := float64(m[p] - mr[p])
			if cell != nil {
				e *= cell[p]
			}
			d[i] += e * e
		}
		d[i] = math.Sqrt(d[i])
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(d[a], d[b]) })
	if d[order[0]] == 0 {
		return order[:1], []float64{1}
	}
	idx = order[:min(3, len(order))]
	var sum float64
	for _, i := range idx {
		sum += 1 / d[i]
	}
	for _, i := range idx {
		w = append(w, 1/d[i]/sum)
	}
	return idx, w
}

// checkScoreCAM compares Score-CAM with ScoreOptions.Channels channels
// with the plain loop on the reference input, and counts the passes: one
// per channel run, plus one blank input for the constant ones (and one
// for the baseline). In the fast variant the first half of the run
// channels are the representatives.
func checkScoreCAM(t *testing.T, model string, channels int) {
	ctx := context.Background()
	_, input := loadRef(t)
	m := sharedModel(t, "reference", model)
	e, err := New(m, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Forward(ctx, input, GradCAM)
	if err != nil {
		t.Fatal(err)
	}
	feat := p.Feature
	top := p.Top(2)
	opt := ScoreOptions{Channels: channels, Classes: []int{top[0].Index}}
	soft, err := e.ScoreCAM(ctx, input, feat, opt)
	if err != nil {
		t.Fatal(err)
	}
	run := soft.reps
	first, repOf := representatives(feat, channels-channels/2)
	if channels > 0 && (len(run) != channels || !slices.Equal(run[:len(first)], first)) {
		t.Fatalf("ran channels %v, want %d starting with the representatives %v", run, channels, first)
	}
	constant := slices.Contains(repOf, -1)
	if want := len(run) + b2i(constant); soft.Passes != want {
		t.Errorf("%d forward passes for %d channels (a constant channel: %v), want %d", soft.Passes, len(run), constant, want)
	}
	opt.Baseline = true
	paper, err := e.ScoreCAM(ctx, input, feat, opt)
	if err != nil {
		t.Fatal(err)
	}
	if want := len(run) + 1; paper.Passes != want || !slices.Equal(paper.reps, run) {
		t.Errorf("with the baseline: %d forward passes of channels %v, want %d of %v", paper.Passes, paper.reps, want, run)
	}
	masked, blank := plainScores(t, m, e.Head.Logits, input, feat, run)
	all := make([]int, feat.Shape[1])
	for ch := range all {
		all[ch] = ch
	}
	for _, k := range []int{top[0].Index, top[1].Index} {
		scores := make([]float64, len(all))
		base := make([]float64, len(all))
		pBlank := plainSoftmax(blank)[k]
		var cell []float64
		if channels > 0 {
			y := make([]float64, len(run))
			for i := range run {
				y[i] = masked[i][k]
			}
			cell = plainCellWeights(feat, run, y)
		}
		for ch := range all {
			idx, w := plainShares(feat, run, ch, cell)
			if idx == nil {
				scores[ch] = blank[k]
				continue
			}
			for i, r := range idx {
				scores[ch] += w[i] * masked[r][k]
				base[ch] += w[i] * (plainSoftmax(masked[r])[k] - pBlank)
			}
		}
		got, err := channelMap(soft, soft.feature, k)
		if err != nil {
			t.Fatal(err)
		}
		checkMap(t, "softmax over channels", got, plainMap(feat, all, plainSoftmax(scores)))
		got, err = channelMap(paper, paper.feature, k)
		if err != nil {
			t.Fatal(err)
		}
		checkMap(t, "paper's baseline", got, plainMap(feat, all, base))
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// pearson is the correlation of two maps.
func pearson(a, b []float32) float64 {
	var ma, mb float64
	for i := range a {
		ma += float64(a[i])
		mb += float64(b[i])
	}
	ma /= float64(len(a))
	mb /= float64(len(b))
	var sab, saa, sbb float64
	for i := range a {
		da, db := float64(a[i])-ma, float64(b[i])-mb
		sab += da * db
		saa += da * da
		sbb += db * db
	}
	return sab / math.Sqrt(saa*sbb)
}

// TestScoreCAMFastVariant: the fast variant with 32 channels, refined for
// the top class, runs at least 10 times fewer passes than the exact one
// (on layers of 320 channels or more), and its map correlates at least
// 0.95 (Pearson, raw maps) with the exact one for that class: on every
// reference CNN with the reference input, and on the four real MobileNets
// with every sample photo (64 cases). It runs about 50000 passes (three
// minutes on two cores), and is skipped under the race detector.
func TestScoreCAMFastVariant(t *testing.T) {
	skipUnderRace(t)
	_, input := loadRef(t)
	type fastCase struct{ dir, model, photo string }
	var cases []fastCase
	for _, m := range []string{"resnet18", "vgg_small", "squeezenet1_1", "googlenet", "densenet121", "efficientnet_b0"} {
		cases = append(cases, fastCase{"reference", m, ""})
	}
	photos, err := filepath.Glob(filepath.Join(sharedPath(t, "images"), "*.png"))
	if err != nil || len(photos) < 16 {
		t.Fatalf("the sample photos: %d found (%v), want 16", len(photos), err)
	}
	for _, m := range []string{"mobilenet_v1_0.25_128", "mobilenet_v1_0.5_160", "mobilenet_v1_0.75_192", "mobilenet_v2_1.0_224"} {
		for _, photo := range photos {
			cases = append(cases, fastCase{"models", m, filepath.Base(photo)})
		}
	}
	for _, c := range cases {
		name := c.model
		if c.photo != "" {
			name += "/" + c.photo
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			x := input
			e, err := New(sharedModel(t, c.dir, c.model), nil, "")
			if err != nil {
				t.Fatal(err)
			}
			if c.photo != "" {
				x = preparedPhoto(t, c.photo, preprocess.TFSlim(e.Model.Inputs[0].Shape[2]))
			}
			p, err := e.Forward(ctx, x, GradCAM)
			if err != nil {
				t.Fatal(err)
			}
			exact, err := e.ScoreCAM(ctx, x, p.Feature, ScoreOptions{})
			if err != nil {
				t.Fatal(err)
			}
			k := p.Top(1)[0].Index
			fast, err := e.ScoreCAM(ctx, x, p.Feature, ScoreOptions{Channels: 32, Classes: []int{k}})
			if err != nil {
				t.Fatal(err)
			}
			if p.Feature.Shape[1] >= 320 && fast.Passes*10 > exact.Passes {
				t.Errorf("the fast variant ran %d passes, the exact one %d: not 10 times fewer", fast.Passes, exact.Passes)
			}
			a, err := channelMap(exact, exact.feature, k)
			if err != nil {
				t.Fatal(err)
			}
			b, err := channelMap(fast, fast.feature, k)
			if err != nil {
				t.Fatal(err)
			}
			r := pearson(a.Data, b.Data)
			t.Logf("class %d: fast (32 channels, %d passes) vs exact (%d passes): Pearson %.4f", k, fast.Passes, exact.Passes, r)
			if !(r >= 0.95) {
				t.Errorf("class %d: the fast variant's map correlates %.4f with the exact one, want >= 0.95", k, r)
			}
		})
	}
}

// TestScoreCAMProgressAndCancel: Progress counts the passes up to the
// total, batch by batch over both stages of the fast variant, and cancelling the context stops Score-CAM at the
// next batch with the context's error (as the app does when the request
// changes).
func TestScoreCAMProgressAndCancel(t *testing.T) {
	_, input := loadRef(t)
	e, err := New(sharedModel(t, "reference", "vgg_small"), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Forward(context.Background(), input, GradCAM)
	if err != nil {
		t.Fatal(err)
	}
	// Four channels in two stages of two, and the blank input for
	// vgg_small's constant channels with the first.
	_, repOf := representatives(p.Feature, 2)
	want := 4 + b2i(slices.Contains(repOf, -1))
	var seen []int
	s, err := e.ScoreCAM(context.Background(), input, p.Feature, ScoreOptions{Channels: 4, Classes: []int{p.Top(1)[0].Index}, Progress: func(done, total int) {
		if total != want {
			t.Errorf("Progress total %d, want %d", total, want)
		}
		seen = append(seen, done)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(seen, []int{want - 2, want}) || s.Passes != want {
		t.Errorf("Progress saw %v over %d passes, want one batch a stage: %v", seen, s.Passes, []int{want - 2, want})
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	passes := 0
	_, err = e.ScoreCAM(ctx, input, p.Feature, ScoreOptions{Progress: func(done, total int) {
		passes = done
		cancel()
	}})
	if !errors.Is(err, context.Canceled) || passes != ScoreBatch {
		t.Errorf("cancelled after the first batch: error %v after %d passes, want context.Canceled after %d", err, passes, ScoreBatch)
	}
}

// TestRepresentatives: on a layer of three groups of channels whose
// members share a mask up to scale and offset, the three representatives
// are one of each group, every channel is represented by its group's, a
// constant channel by none (-1), and with n = 0 every channel that is not
// constant runs; the heaviest channels represent themselves.
func TestRepresentatives(t *testing.T) {
	const h, w = 3, 3
	masks := [][]float32{
		{1, 0, 0, 0, 0, 0, 0, 0, 0},
		{0, 0, 0, 0, 1, 0, 0, 0, 0},
		{0, 0, 0, 0, 0, 0, 0, 1, 1},
	}
	// channel: its group (-1 constant) and scale.
	channels := []struct {
		group int
		scale float32
	}{{0, 1}, {1, 2}, {-1, 0}, {2, 0.5}, {0, 3}, {1, 1}, {2, 4}, {0, 0.1}, {-1, 0}}
	feat := tensor.New(1, len(channels), h, w)
	for ch, c := range channels {
		for i := range h * w {
			v := float32(0.25) // a constant channel that is not zero
			if c.group >= 0 {
				v = c.scale*masks[c.group][i] + float32(ch)
			}
			feat.F[ch*h*w+i] = v
		}
	}
	reps, repOf := representatives(feat, 3)
	if len(reps) != 3 {
		t.Fatalf("representatives %v, want 3", reps)
	}
	seen := map[int]bool{}
	for _, r := range reps {
		seen[channels[r].group] = true
	}
	if len(seen) != 3 || seen[-1] {
		t.Errorf("representatives %v: groups %v, want one of each of 0, 1, 2", reps, seen)
	}
	for ch, c := range channels {
		switch {
		case c.group < 0 && repOf[ch] != -1:
			t.Errorf("constant channel %d represented by %d, want -1 (the blank input)", ch, repOf[ch])
		case c.group >= 0 && (repOf[ch] < 0 || channels[repOf[ch]].group != c.group || !slices.Contains(reps, repOf[ch])):
			t.Errorf("channel %d (group %d) represented by %d", ch, c.group, repOf[ch])
		}
	}
	if !slices.Contains(reps, 6) {
		t.Errorf("representatives %v leave out the heaviest channel, 6", reps)
	}
	all, repOf := representatives(feat, 0)
	if want := []int{0, 1, 3, 4, 5, 6, 7}; !slices.Equal(all, want) {
		t.Errorf("every channel: representatives %v, want %v", all, want)
	}
	for _, ch := range all {
		if repOf[ch] != ch {
			t.Errorf("every channel: channel %d represented by %d", ch, repOf[ch])
		}
	}
}

// preparedPhoto decodes the shared photo images/name and prepares it by
// pre.
func preparedPhoto(t testing.TB, name string, pre preprocess.Spec) *tensor.Tensor {
	t.Helper()
	x, _, err := preprocess.Prepare(shareddata.PNG(t, "images", name), pre)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// TestInterpolation: a channel whose mask is a run channel's takes that
// channel's score alone; another takes its three nearest run channels'
// by inverse distance; a constant channel takes none.
func TestInterpolation(t *testing.T) {
	masks := [][]float32{{0, 0}, {1, 0}, {0, 1}, {1, 1}, {0.25, 0}, {1, 0}, nil}
	from := interpolation(masks, []int{0, 1, 2, 3, 4, 5}, []int{0, 1, 2, 3}, nil)
	if !slices.Equal(from[5], []share{{1, 1}}) || !slices.Equal(from[2], []share{{2, 1}}) {
		t.Errorf("channels equal to run ones: shares %v and %v, want [{1 1}] and [{2 1}]", from[5], from[2])
	}
	// Channel 4 lies 1/4, 3/4 and sqrt(17)/4 from runs 0, 1 and 2 (and
	// 5/4 from run 3).
	inv := []float64{4, 4.0 / 3, 4 / math.Sqrt(17)}
	sum := inv[0] + inv[1] + inv[2]
	if len(from[4]) != 3 {
		t.Fatalf("channel 4: shares %v, want three", from[4])
	}
	for i, s := range from[4] {
		if s.run != i || math.Abs(s.w-inv[i]/sum) > 1e-6 {
			t.Errorf("channel 4: share %d is %v, want {%d %.6f}", i, s, i, inv[i]/sum)
		}
	}
	if from[6] != nil {
		t.Errorf("constant channel: shares %v, want none", from[6])
	}
}

// TestCellWeights: scores that follow the first cell of the masks only,
// y = 3 m_0, give that cell weight 3 and the other 1 (the ridge solution
// is u = (1.5/(0.5+0.1), 0) = (2.5, 0), mean |u| 1.25); equal scores give
// all ones; and weighted, channel 4 of TestInterpolation is nearer run 2
// (0.75, 1.25 and 2.25 from runs 0, 2 and 1) than run 1.
func TestCellWeights(t *testing.T) {
	masks := [][]float32{{0, 0.5}, {1, 0.5}, {0.5, 0}, {0.5, 1}}
	run := []int{0, 1, 2, 3}
	if got := cellWeights(masks, run, []float64{0, 3, 1.5, 1.5}); math.Abs(got[0]-3) > 1e-9 || math.Abs(got[1]-1) > 1e-9 {
		t.Errorf("scores 3 m_0: cell weights %v, want [3 1]", got)
	}
	if got := cellWeights(masks, run, []float64{2, 2, 2, 2}); !slices.Equal(got, []float64{1, 1}) {
		t.Errorf("equal scores: cell weights %v, want [1 1]", got)
	}
	grid := [][]float32{{0, 0}, {1, 0}, {0, 1}, {1, 1}, {0.25, 0}}
	from := interpolation(grid, []int{4}, []int{0, 1, 2, 3}, []float64{3, 1})
	inv := []float64{1 / 0.75, 1 / 1.25, 1 / 2.25}
	sum := inv[0] + inv[1] + inv[2]
	for i, want := range []share{{0, inv[0] / sum}, {2, inv[1] / sum}, {1, inv[2] / sum}} {
		if got := from[4][i]; got.run != want.run || math.Abs(got.w-want.w) > 1e-6 {
			t.Errorf("weighted: share %d is %v, want %v", i, got, want)
		}
	}
}

// TestRefine: the channels chosen for the second stage go by estimated
// weight times |A_c| times the distance to the nearest channel run or
// chosen, and a channel whose mask a chosen one already has is not run.
func TestRefine(t *testing.T) {
	masks := [][]float32{{0, 0}, {1, 0}, {0, 1}, {1, 0}, {0.5, 0}, {0.1, 0}}
	weight := []float64{0, 0.5, 0.3, 0.5, 0.1, 1}
	energy := []float64{1, 1, 1, 1, 16, 1}
	live := []int{0, 1, 2, 3, 4, 5}
	// Priorities against channel 0: 0.5, 0.3, 0.5 (channel 3, after 1 on
	// the tie), 0.1*4*0.5 = 0.2, 1*1*0.1; once channel 1 runs, channel 3
	// is at distance 0 and channel 4 still at 0.5.
	if got, want := refine(masks, energy, weight, live, []int{0}, 3), []int{1, 2, 4}; !slices.Equal(got, want) {
		t.Errorf("three more channels: %v, want %v", got, want)
	}
	if got, want := refine(masks, energy, weight, live, []int{0}, 6), []int{1, 2, 4, 5}; !slices.Equal(got, want) {
		t.Errorf("six more channels asked: %v, want %v (channel 3's mask is channel 1's)", got, want)
	}
}

// TestScoreCAMOptions: the fast variant without a class to refine, and a
// class that does not exist, are refused with a sentence.
func TestScoreCAMOptions(t *testing.T) {
	_, input := loadRef(t)
	e, err := New(sharedModel(t, "reference", "vgg_small"), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Forward(context.Background(), input, GradCAM)
	if err != nil {
		t.Fatal(err)
	}
	for _, opt := range []ScoreOptions{{Channels: 8}, {Channels: 8, Classes: []int{-1}}, {Classes: []int{e.Head.NumClasses}}} {
		if _, err := e.ScoreCAM(context.Background(), input, p.Feature, opt); err == nil {
			t.Errorf("options %+v: no error", opt)
		} else {
			t.Logf("options %+v: %v", opt, err)
		}
	}
}
