package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// convReference64 is the direct convolution in float64 (the activation
// applied in float64 too): the truth Winograd's rounding is measured
// against. It also returns, per output, the sum of the absolute values of
// the terms (the scale of float32 rounding).
func convReference64(src, w, bias []float32, p ConvParams) (out, mag []float64) {
	oh, ow := p.OutSize()
	out, mag = make([]float64, p.M*oh*ow), make([]float64, p.M*oh*ow)
	for m := 0; m < p.M; m++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				var s, a float64
				if bias != nil {
					s, a = float64(bias[m]), math.Abs(float64(bias[m]))
				}
				for c := 0; c < p.C; c++ {
					for ky := 0; ky < p.KH; ky++ {
						iy := oy - p.PadT + ky
						if iy < 0 || iy >= p.H {
							continue
						}
						for kx := 0; kx < p.KW; kx++ {
							ix := ox - p.PadL + kx
							if ix < 0 || ix >= p.W {
								continue
							}
							t := float64(src[(c*p.H+iy)*p.W+ix]) * float64(w[((m*p.C+c)*p.KH+ky)*p.KW+kx])
							s += t
							a += math.Abs(t)
						}
					}
				}
				switch p.Act.Kind {
				case ActRelu:
					s = max(s, 0)
				case ActClip:
					s = min(max(s, float64(p.Act.Min)), float64(p.Act.Max))
				case ActSiLU:
					s /= 1 + math.Exp(-s)
				}
				out[(m*oh+oy)*ow+ox], mag[(m*oh+oy)*ow+ox] = s, a
			}
		}
	}
	return out, mag
}

// winogradCases are 3x3 stride-1 convolutions of odd and ResNet sizes, with
// channel counts that are not multiples of the tiles, every padding and
// activation.
func winogradCases() []ConvParams {
	relu := Activation{Kind: ActRelu}
	clip := Activation{Kind: ActClip, Min: -0.3, Max: 0.4}
	silu := Activation{Kind: ActSiLU}
	cp := func(c, h, w, m, pad int, act Activation) ConvParams {
		return ConvParams{C: c, H: h, W: w, M: m, KH: 3, KW: 3, StrideH: 1, StrideW: 1,
			DilH: 1, DilW: 1, PadT: pad, PadL: pad, PadB: pad, PadR: pad, Group: 1, Act: act}
	}
	cases := []ConvParams{
		cp(3, 7, 7, 5, 1, relu),
		cp(17, 7, 7, 19, 1, Activation{}),
		cp(20, 14, 14, 33, 1, clip),
		cp(9, 13, 11, 12, 0, relu),
		cp(24, 56, 56, 20, 1, relu),
		cp(7, 5, 9, 6, 2, silu),
		cp(300, 7, 7, 40, 1, relu), // several k blocks
		cp(5, 3, 3, 4, 1, Activation{}),
		cp(4, 1, 1, 3, 1, Activation{}),
		cp(6, 2, 19, 5, 1, clip),
		cp(16, 27, 27, 24, 1, relu), // SqueezeNet's odd sizes: 7x7 tiles, the last of each row 3 wide
		cp(48, 16, 16, 64, 1, relu), // 4x4 tiles (wgInput16AVX512): the shapes model's conv4
		cp(5, 15, 15, 7, 1, clip),   // 4x4 tiles, the last of each row 3 wide
	}
	asym := cp(10, 10, 9, 11, 0, relu)
	asym.PadT, asym.PadL, asym.PadB, asym.PadR = 1, 0, 2, 1
	cases = append(cases, asym)
	r := rand.New(rand.NewPCG(7, 8))
	for range 4 {
		cases = append(cases, cp(1+r.IntN(40), 1+r.IntN(30), 1+r.IntN(30), 1+r.IntN(40), r.IntN(3), relu))
	}
	return cases
}

// TestWinograd compares the Winograd path with the float64 direct
// convolution on batches of 3, and each image of a batch with its own run,
// bit for bit. The tolerance is 1e-5 of the terms' absolute sum: a wrong
// coefficient of any transform (or a tile or channel out of place) is off
// by a good part of the output, while Winograd's rounding measured here is
// a few times float32's epsilon (6e-8) of it.
func TestWinograd(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		for _, p := range winogradCases() {
			for _, withBias := range []bool{true, false} {
				if err := checkWinograd(p, withBias, 3); err != nil {
					t.Errorf("%dx%dx%d -> %d pads %d %d %d %d act %d bias %v: %v", p.C, p.H, p.W, p.M, p.PadT, p.PadL, p.PadB, p.PadR, p.Act.Kind, withBias, err)
				}
			}
		}
	})
}

func checkWinograd(p ConvParams, withBias bool, n int) error {
	r := rand.New(rand.NewPCG(uint64(p.C), uint64(p.M*p.H)))
	oh, ow := p.OutSize()
	inSize, outSize := p.C*p.H*p.W, p.M*oh*ow
	src := randSlice(r, n*inSize)
	w := randSlice(r, p.M*p.C*9)
	var bias []float32
	if withBias {
		bias = randSlice(r, p.M)
	}
	conv := newConv(p, w, bias, layoutWinograd)
	if conv.wg == nil {
		return fmt.Errorf("not on the Winograd path")
	}
	got, past := fenced(n * outSize)
	conv.RunBatch(got, src, n)
	if err := past(); err != nil {
		return err
	}
	one := make([]float32, outSize)
	worst := 0.0
	for b := range n {
		want, mag := convReference64(src[b*inSize:(b+1)*inSize], w, bias, p)
		for i, v := range want {
			g := float64(got[b*outSize+i])
			e := math.Abs(g-v) / (mag[i] + 1e-30)
			if !(e <= 1e-5) {
				return fmt.Errorf("image %d element %d: got %v, want %v (terms' absolute sum %v)", b, i, g, v, mag[i])
			}
			worst = max(worst, e)
		}
		conv.Run(one, src[b*inSize:(b+1)*inSize])
		for i, v := range one {
			if !sameBits(v, got[b*outSize+i]) {
				return fmt.Errorf("image %d element %d: %v alone, %v in the batch", b, i, v, got[b*outSize+i])
			}
		}
	}
	if testing.Verbose() {
		fmt.Printf("%+v: worst relative error %.3g\n", p, worst)
	}
	return nil
}

// BenchmarkWinograd times the 3x3 stride-1 layers of ResNet-18 and VGG-style
// networks on the channel-major GEMM and on the Winograd path, at batch 1
// and 16 (Score-CAM's batches), in GFLOP/s of the direct convolution's
// multiply-adds.
func BenchmarkWinograd(b *testing.B) {
	for _, l := range []struct {
		c, hw, m int
	}{{64, 56, 64}, {128, 28, 128}, {256, 14, 256}, {512, 7, 512}, {32, 112, 32}, {16, 56, 16}, {16, 55, 64}, {32, 27, 128}} {
		for _, n := range []int{1, 16} {
			for _, way := range []struct {
				name   string
				layout gemmLayout
			}{{"gemm", layoutChannels}, {"winograd", layoutWinograd}} {
				b.Run(fmt.Sprintf("%d-%d_%d/batch%d/%s", l.c, l.m, l.hw, n, way.name), func(b *testing.B) {
					p := layer(l.c, l.hw, l.m, 3, 1, 1, 1)
					r := rand.New(rand.NewPCG(1, 2))
					src, w, bias := randSlice(r, n*l.c*l.hw*l.hw), randSlice(r, l.m*l.c*9), randSlice(r, l.m)
					dst := make([]float32, n*l.m*l.hw*l.hw)
					conv := newConv(p, w, bias, way.layout)
					for b.Loop() {
						conv.RunBatch(dst, src, n)
					}
					flops := 2 * 9 * n * l.c * l.m * l.hw * l.hw
					b.ReportMetric(float64(flops)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}

// TestWinogradChoice: NewConv takes the Winograd path for ResNet-18's
// 3x3 stride-1 layers of 14x14 and larger outputs and SqueezeNet's of
// 13x13 and larger, and only where it applies and pays (see
// chooseWinograd), on AVX-512.
func TestWinogradChoice(t *testing.T) {
	dil := layer(64, 56, 64, 3, 1, 2, 1)
	dil.DilH, dil.DilW = 2, 2
	for _, c := range []struct {
		name string
		p    ConvParams
		want bool
	}{
		{"the Winograd case of convCases", convCases()["winograd"], true},
		{"64->64 @56", layer(64, 56, 64, 3, 1, 1, 1), true},
		{"128->128 @28", layer(128, 28, 128, 3, 1, 1, 1), true},
		{"256->256 @14", layer(256, 14, 256, 3, 1, 1, 1), true},
		{"512->512 @7", layer(512, 7, 512, 3, 1, 1, 1), false},
		{"16->16 @56", layer(16, 56, 16, 3, 1, 1, 1), false},
		{"128->32 @56", layer(128, 56, 32, 3, 1, 1, 1), true},
		{"64->32 @56", layer(64, 56, 32, 3, 1, 1, 1), true},
		{"16->32 @56", layer(16, 56, 32, 3, 1, 1, 1), true},
		{"16->32 @112 (vgg_small)", layer(16, 112, 32, 3, 1, 1, 1), true},
		{"16->32 @28 (7x7 tiles, h 10)", layer(16, 28, 32, 3, 1, 1, 1), false},
		{"32->16 @56 (fewer outputs than inputs, h 10)", layer(32, 56, 16, 3, 1, 1, 1), false},
		{"16->16 @112 (h 8)", layer(16, 112, 16, 3, 1, 1, 1), false},
		{"16->64 @55", layer(16, 55, 64, 3, 1, 1, 1), true},
		{"32->128 @27", layer(32, 27, 128, 3, 1, 1, 1), true},
		{"64->32 @24", layer(64, 24, 32, 3, 1, 1, 1), false},
		{"64->256 @13", layer(64, 13, 256, 3, 1, 1, 1), true},
		{"40->160 @13 (the half-width products)", layer(40, 13, 160, 3, 1, 1, 1), true},
		{"48->192 @10", layer(48, 10, 192, 3, 1, 1, 1), false},
		{"128->32 @14 (DenseNet, 4x as many inputs)", layer(128, 14, 32, 3, 1, 1, 1), true},
		{"160->32 @14 (5x as many inputs)", layer(160, 14, 32, 3, 1, 1, 1), false},
		{"96->208 @14", layer(96, 14, 208, 3, 1, 1, 1), true},
		{"64->64 @14", layer(64, 14, 64, 3, 1, 1, 1), true},
		{"64->256 @13", layer(64, 13, 256, 3, 1, 1, 1), true},
		{"16->64 @13", layer(16, 13, 64, 3, 1, 1, 1), false},
		{"256->128 @14", layer(256, 14, 128, 3, 1, 1, 1), true},
		{"128->128 @12", layer(128, 12, 128, 3, 1, 1, 1), false},
		{"stride 2", layer(64, 56, 128, 3, 2, 1, 1), false},
		{"groups", layer(64, 56, 64, 3, 1, 1, 2), false},
		{"dilation", dil, false},
		{"5x5", layer(64, 56, 64, 5, 1, 2, 1), false},
	} {
		conv := NewConv(c.p, make([]float32, c.p.M*c.p.C/c.p.Group*c.p.KH*c.p.KW), nil)
		// Only AVX-512 has the transforms in assembly.
		want := c.want && active.kind == kindAVX512
		if got := conv.wg != nil; got != want {
			t.Errorf("%s: Winograd %v, want %v", c.name, got, want)
		}
	}
}

// TestWinogradWays runs the Winograd path every way a run can take, on one
// to three workers and in chunks of every size plan may choose: whole
// chunks, on one worker from the whole input padded first and on several
// each worker padding its own bands of rows (several bands of channels
// where a band would outgrow wgBandValues: 64->8 @56), chunks whose
// stages the workers share, and (one chunk) each worker computing its own
// output channels from the whole input transformed itself. Each way must match the float64 direct
// convolution, and give every value the bits RunBatch gives it.
func TestWinogradWays(t *testing.T) {
	relu := Activation{Kind: ActRelu}
	cases := append(winogradCases(), layer(64, 56, 8, 3, 1, 1, 1), layer(40, 28, 12, 3, 1, 1, 1))
	cases[len(cases)-1].Act = relu
	forEachKernel(t, func(t *testing.T) {
		for _, p := range cases {
			for _, n := range []int{1, 3} {
				if p.H*p.W > 28*28 && n > 1 {
					continue
				}
				if err := checkWinogradWays(p, n); err != nil {
					t.Errorf("%dx%dx%d -> %d pads %d %d %d %d, %d images: %v", p.C, p.H, p.W, p.M, p.PadT, p.PadL, p.PadB, p.PadR, n, err)
				}
			}
		}
	})
}

func checkWinogradWays(p ConvParams, n int) error {
	r := rand.New(rand.NewPCG(uint64(p.C+n), uint64(p.M*p.W)))
	oh, ow := p.OutSize()
	inSize, outSize := p.C*p.H*p.W, p.M*oh*ow
	src, w, bias := randSlice(r, n*inSize), randSlice(r, p.M*p.C*9), randSlice(r, p.M)
	conv := newConv(p, w, bias, layoutWinograd)
	if conv.wg == nil {
		return fmt.Errorf("not on the Winograd path")
	}
	want := make([]float32, n*outSize)
	conv.RunBatch(want, src, n)
	var ref, mag [][]float64
	for b := range n {
		o, m := convReference64(src[b*inSize:(b+1)*inSize], w, bias, p)
		ref, mag = append(ref, o), append(mag, m)
	}
	wg, nr := conv.wg, conv.mk.nr
	sizes := []int{wg.chunk}
	for _, s := range []int{nr, 2 * nr, 16} {
		if s < wg.chunk && s%nr == 0 || s == 16 && nr == 32 && conv.mk.mr == 8 && hasNarrowTile(conv.mk.kind) {
			sizes = append(sizes, s)
		}
	}
	for _, chunk := range sizes {
		for _, workers := range []int{1, 2, 3} {
			for _, way := range []int{wgChunks, wgStages, wgOutputs} {
				tiles := n * wg.tilesY * wg.tilesX
				if way == wgOutputs && (tiles > chunk || wg.mpad/conv.mk.mr < workers) {
					continue // one chunk only, a panel of outputs a worker
				}
				got, past := fenced(n * outSize)
				run := &wgRun{c: conv, dst: got, src: src, n: n, tiles: tiles}
				run.vector = run.wgVector()
				switch way {
				case wgStages:
					run.runStages(chunk, workers)
				case wgOutputs:
					run.runOutputs(chunk, workers)
				default:
					run.runChunks(chunk, workers)
				}
				if err := past(); err != nil {
					return err
				}
				for i, v := range got[:n*outSize] {
					b, j := i/outSize, i%outSize
					if e := math.Abs(float64(v)-ref[b][j]) / (mag[b][j] + 1e-30); !(e <= 1e-5) {
						return fmt.Errorf("chunks of %d, %d workers, way %d: image %d element %d: got %v, want %v", chunk, workers, way, b, j, v, ref[b][j])
					}
					if !sameBits(v, want[i]) {
						return fmt.Errorf("chunks of %d, %d workers, way %d: element %d: %v, RunBatch %v", chunk, workers, way, i, v, want[i])
					}
				}
			}
		}
	}
	return nil
}

// TestWinogradWorkers checks how many workers a run takes: a run of one
// chunk that can split by output channels takes two from
// minFlopsPerWorker to twice that (the shapes model's 48->64 at 16x16),
// and on AVX-512 splits that way; one with more inputs than outputs,
// under minFlopsPerWorker, or on one proc, keeps one; a large run as many
// as its products keep busy.
func TestWinogradWorkers(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		for _, c := range []struct {
			p           ConvParams
			procs, want int
			wantOutputs bool
		}{
			{layer(48, 16, 64, 3, 1, 1, 1), 2, 2, true},
			{layer(48, 16, 64, 3, 1, 1, 1), 1, 1, false},
			{layer(64, 16, 48, 3, 1, 1, 1), 2, 1, false},
			{layer(16, 16, 16, 3, 1, 1, 1), 2, 1, false},
			{layer(64, 56, 64, 3, 1, 1, 1), 2, 2, false},
			{layer(64, 56, 64, 3, 1, 1, 1), 4, 4, false},
		} {
			r := rand.New(rand.NewPCG(1, 2))
			conv := newConv(c.p, randSlice(r, c.p.M*c.p.C*9), nil, layoutWinograd)
			if conv.wg == nil {
				t.Fatalf("%d->%d @%d: not on the Winograd path", c.p.C, c.p.M, c.p.H)
			}
			run := &wgRun{c: conv, n: 1, tiles: conv.wg.tilesY * conv.wg.tilesX}
			w := run.workers(c.procs)
			if w != c.want {
				t.Errorf("%d->%d @%d on %d procs: %d workers, want %d", c.p.C, c.p.M, c.p.H, c.procs, w, c.want)
			}
			if _, way := run.plan(w); active.kind == kindAVX512 && (way == wgOutputs) != c.wantOutputs {
				t.Errorf("%d->%d @%d on %d workers: way %d, split by outputs %v", c.p.C, c.p.M, c.p.H, w, way, c.wantOutputs)
			}
		}
	})
}
