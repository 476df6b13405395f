package main

import "fmt"

// dwKernel is a direct depthwise kernel of package kernels (see dwdirect.go
// there): k x k taps of stride s, one chunk record (4*s*(3+k*k) bytes) a
// chunk of 16 outputs. All share the frame of dwFrame; body writes the
// chunk loop up to the store.
type dwKernel struct {
	name, doc string
	k, s      int
	pfx       string   // the labels' prefix
	bias      int      // Z register of the channel's bias
	lo, hi    int      // Z registers of the clamp
	w0        int      // Z register of weight 0; weights past Z31 are broadcast from memory
	tables    []string // index tables loaded once: "dwEven<>, Z15"
	loop      string   // the label the store goes back to
	body      func(*asm, dwKernel)
	pairs     bool // 3x3 stride 2: chunks of two output rows (see dw3x3s2)
}

func z(n int) string { return fmt.Sprintf("Z%d", n) }
func k(n int) string { return fmt.Sprintf("K%d", n) }

func (d dwKernel) taps() int     { return d.k * d.k }
func (d dwKernel) recBytes() int { return 4 * d.s * (3 + d.taps()) }

// laneMask and loadMask are the offsets in a record of tap t's mask of the
// lanes it reads and (stride 2) of the 32 values it loads.
func (d dwKernel) laneMask(t int) int { return 4 * (3 + t) }
func (d dwKernel) loadMask(t int) int { return 4 * (3 + d.taps() + t) }

// rows are the addresses of the chunk's k rows in the input from base
// (and, for the fourth row of a 5x5 kernel, base2: base two rows down);
// DX is the row length in bytes.
func (d dwKernel) rows(base, base2 string) []string {
	return []string{"(" + base + ")", "(" + base + ")(DX*1)", "(" + base + ")(DX*2)", "(" + base2 + ")(DX*1)", "(" + base + ")(DX*4)"}[:d.k]
}

// fma adds tap t's weight times x to acc in the lanes of mask m.
func (d dwKernel) fma(a *asm, x string, t int, m, acc string) {
	if d.w0+t <= 31 {
		a.op("VFMADD231PS %s, %s, %s, %s", x, z(d.w0+t), m, acc)
		return
	}
	a.op("VFMADD231PS.BCST %d(R9), %s, %s, %s", 4*t, x, m, acc)
}

// block starts a labelled block.
func (a *asm) block(l string) {
	a.WriteString("\n")
	a.label(l)
}

// dwFrame writes kernel d: the channel loop around d.body, the store of a
// chunk and the step to the next channel.
func dwFrame(a *asm, d dwKernel) {
	const args = "dst, src *float32, recs *int32, nrec int, w, bias *float32, nch, rowBytes, inBytes, outBytes, lowB, highB int, lo, hi float32"
	fmt.Fprintf(a, "// func %s(%s)\n//\n%s", d.name, args, d.doc)
	fmt.Fprintf(a, "TEXT ·%s(SB), NOSPLIT, $0-104\n", d.name)
	a.op("MOVQ dst+0(FP), DI")
	a.op("MOVQ src+8(FP), SI")
	a.op("MOVQ w+32(FP), R9")
	a.op("MOVQ bias+40(FP), BX")
	a.op("MOVQ rowBytes+56(FP), DX")
	a.op("MOVQ inBytes+64(FP), R12")
	a.op("MOVQ lowB+80(FP), R10")
	a.op("MOVQ highB+88(FP), R11")
	a.op("VBROADCASTSS lo+96(FP), %s", z(d.lo))
	a.op("VBROADCASTSS hi+100(FP), %s", z(d.hi))
	for _, t := range d.tables {
		a.op("VMOVDQU32 %s", t)
	}
	a.op("CMPQ nch+48(FP), $0")
	a.op("JEQ %sdone", d.pfx)

	a.block(d.pfx + "chan")
	for t := 0; t < d.taps() && d.w0+t <= 31; t++ {
		a.op("VBROADCASTSS %d(R9), %s", 4*t, z(d.w0+t))
	}
	a.op("VBROADCASTSS (BX), %s", z(d.bias))
	a.op("MOVQ recs+16(FP), R8")
	a.op("MOVQ nrec+24(FP), CX")
	a.op("TESTQ CX, CX")
	a.op("JEQ %snext", d.pfx)

	d.body(a, d)

	a.block(d.pfx + "store")
	a.op("VMAXPS %s, Z0, Z0", z(d.lo))
	a.op("VMINPS %s, Z0, Z0", z(d.hi))
	a.op("MOVLQSX 0(R8), AX")
	a.op("KMOVW 8(R8), K1")
	a.op("VMOVUPS Z0, K1, (DI)(AX*4)")
	if d.pairs {
		// Lanes 8-15 of a chunk of two rows, after the first row.
		a.op("KMOVW 92(R8), K2")
		a.op("KORTESTW K2, K2")
		a.op("JZ %sstored", d.pfx)
		a.op("MOVLQSX 88(R8), R14")
		a.op("ADDQ AX, R14")
		a.op("VMOVUPS Z0, K2, (DI)(R14*4)")
		a.label(d.pfx + "stored")
	}
	a.op("ADDQ $%d, R8", d.recBytes())
	a.op("DECQ CX")
	a.op("JNE %s%s", d.pfx, d.loop)

	// The next channel: its weights, bias, input and output; lowB and highB
	// are offsets from its start.
	a.block(d.pfx + "next")
	a.op("ADDQ $%d, R9", 4*d.taps())
	a.op("ADDQ $4, BX")
	a.op("ADDQ R12, SI")
	a.op("ADDQ outBytes+72(FP), DI")
	a.op("MOVQ R12, AX")
	a.op("SHRQ $2, AX")
	a.op("SUBQ AX, R10")
	a.op("SUBQ AX, R11")
	a.op("DECQ nch+48(FP)")
	a.op("JNE %schan", d.pfx)

	a.block(d.pfx + "done")
	a.op("VZEROUPPER")
	a.op("RET")
}

// dwBase points AX at the chunk's first input value (AX the offset from
// the record) and, for a 5x5 kernel, R13 two rows down.
func dwBase(a *asm, d dwKernel) {
	a.op("LEAQ (SI)(AX*4), AX")
	if d.k == 5 {
		a.op("LEAQ (AX)(DX*2), R13")
	}
}

// dwChunk starts a chunk at label chunk: the bias into Z0, and to label
// slow unless its loads all lie in the input's whole-register range.
func dwChunk(a *asm, d dwKernel, chunk string) {
	a.block(d.pfx + chunk)
	a.op("VMOVAPS %s, Z0", z(d.bias))
	a.op("MOVLQSX 4(R8), AX")
	a.op("CMPQ AX, R10")
	a.op("JLT %sslow", d.pfx)
	a.op("CMPQ AX, R11")
	a.op("JGT %sslow", d.pfx)
	dwBase(a, d)
}

// dwSlowS1 is the slow path of stride 1: each tap loads its 16 values
// into x under its mask, masks cycling through K1..K(nk).
func dwSlowS1(a *asm, d dwKernel, x string, nk int) {
	a.block(d.pfx + "slow")
	dwBase(a, d)
	rows := d.rows("AX", "R13")
	for t := 0; t < d.taps(); t++ {
		m := k(1 + t%nk)
		a.op("KMOVW %d(R8), %s", d.laneMask(t), m)
		a.op("VMOVUPS.Z %d%s, %s, %s", 4*(t%d.k), rows[t/d.k], m, x)
		d.fma(a, x, t, m, "Z0")
	}
}

// dw3x3s1 is the body of the 3x3 stride-1 kernel: each row's 32 values in
// Z1 and Z2, column c shifted into Z(2+c).
func dw3x3s1(a *asm, d dwKernel) {
	dwChunk(a, d, "chunk")
	a.op("PREFETCHT0 (AX)(R12*1)")
	a.op("TESTL $0x10000, 8(R8)")
	a.op("JNE %sfull", d.pfx)
	rows := d.rows("AX", "")
	for r := 0; r < 3; r++ {
		a.op("VMOVUPS 0%s, Z1", rows[r])
		a.op("VMOVUPS 64%s, Z2", rows[r])
		for c := 0; c < 3; c++ {
			t, x := 3*r+c, "Z1"
			if c > 0 {
				x = z(2 + c)
				a.op("VALIGND $%d, Z1, Z2, %s", c, x)
			}
			a.op("KMOVW %d(R8), %s", d.laneMask(t), k(1+t%7))
			d.fma(a, x, t, k(1+t%7), "Z0")
		}
	}
	a.op("JMP %sstore", d.pfx)
	// A chunk inside the image: every lane stored, every tap read.
	a.block(d.pfx + "full")
	for r := 0; r < 3; r++ {
		a.op("VMOVUPS 0%s, Z1", rows[r])
		a.op("VMOVUPS 64%s, Z2", rows[r])
		for c := 0; c < 3; c++ {
			x := "Z1"
			if c > 0 {
				x = z(2 + c)
				a.op("VALIGND $%d, Z1, Z2, %s", c, x)
			}
			a.op("VFMADD231PS %s, %s, Z0", x, z(d.w0+3*r+c))
		}
	}
	a.op("VMAXPS %s, Z0, Z0", z(d.lo))
	a.op("VMINPS %s, Z0, Z0", z(d.hi))
	a.op("MOVLQSX 0(R8), AX")
	a.op("VMOVUPS Z0, (DI)(AX*4)")
	a.op("ADDQ $%d, R8", d.recBytes())
	a.op("DECQ CX")
	a.op("JNE %s%s", d.pfx, d.loop)
	a.op("JMP %snext", d.pfx)
	dwSlowS1(a, d, "Z1", 7)
}

// dw3x3s2 is the body of the 3x3 stride-2 kernel: tap t of column c loads
// its 32 values into Z(2+2c) and Z(3+2c) and keeps the even ones; in the
// slow path under the loads' masks (K4-K5 and K6-K7 in turn). The upper 16
// are the next 16 (AX+64 bytes), or with d.pairs loaded from R14, the
// record's word 21 values on from AX: a chunk of two rows' second row.
func dw3x3s2(a *asm, d dwKernel) {
	hi := func() {
		if d.pairs {
			a.op("MOVLQSX 84(R8), R14")
			a.op("LEAQ (AX)(R14*4), R14")
		}
	}
	dwChunk(a, d, "chunk")
	hi()
	a.op("PREFETCHT0 (AX)(R12*1)")
	a.op("PREFETCHT0 64(AX)(R12*1)")
	a.op("LEAQ (AX)(DX*1), R13")
	a.op("PREFETCHT0 (R13)(R12*1)")
	a.op("PREFETCHT0 64(R13)(R12*1)")
	rows, rows2, up := d.rows("AX", ""), d.rows("AX", ""), 64
	if d.pairs {
		rows2, up = d.rows("R14", ""), 0
		for t := 0; t < 9; t++ {
			r, c := t/3, t%3
			x, y, m := z(2+2*c), z(3+2*c), k(1+t%3)
			a.op("KMOVW %d(R8), %s", d.laneMask(t), m)
			a.op("VMOVUPS %d%s, %s", 4*c, rows[r], x)
			a.op("VMOVUPS %d%s, %s", up+4*c, rows2[r], y)
			a.op("VPERMT2PS %s, Z15, %s", y, x)
			d.fma(a, x, t, m, "Z0")
		}
	} else {
		// A row's 33 values loaded once: its even ones (column 0), odd
		// ones (column 1), and the even ones from the second on with
		// value 32 after them (column 2, VALIGND).
		for r := 0; r < 3; r++ {
			a.op("VMOVUPS 0%s, Z2", rows[r])
			a.op("VMOVUPS 64%s, Z3", rows[r])
			a.op("VMOVSS 128%s, X4", rows[r])
			a.op("VMOVAPS Z2, Z5")
			a.op("VPERMT2PS Z3, Z15, Z2")
			a.op("VPERMT2PS Z3, Z11, Z5")
			a.op("VALIGND $1, Z2, Z4, Z6")
			for c, x := range []string{"Z2", "Z5", "Z6"} {
				t := 3*r + c
				a.op("KMOVW %d(R8), %s", d.laneMask(t), k(1+t%3))
				d.fma(a, x, t, k(1+t%3), "Z0")
			}
		}
	}
	a.op("JMP %sstore", d.pfx)

	a.block(d.pfx + "slow")
	dwBase(a, d)
	hi()
	for t := 0; t < 9; t++ {
		r, c := t/3, t%3
		x, y, m := z(2+2*c), z(3+2*c), k(1+t%3)
		lm := 4 + 2*(t%2)
		a.op("KMOVW %d(R8), %s", d.laneMask(t), m)
		a.op("KMOVW %d(R8), %s", d.loadMask(t), k(lm))
		a.op("KMOVW %d(R8), %s", d.loadMask(t)+2, k(lm+1))
		a.op("VMOVUPS.Z %d%s, %s, %s", 4*c, rows[r], k(lm), x)
		a.op("VMOVUPS.Z %d%s, %s, %s", up+4*c, rows2[r], k(lm+1), y)
		a.op("VPERMT2PS %s, Z15, %s", y, x)
		d.fma(a, x, t, m, "Z0")
	}
}

// dw5x5s1 is the body of the 5x5 stride-1 kernel: two chunks at a time
// (label pair: the first's row in Z2 and Z3 from AX, masks K1-K3, the
// second's in Z7 and Z8 from R15, masks K4-K6, columns shifted into Z9 and
// Z10) while both take whole-register loads, else one (label chunk).
func dw5x5s1(a *asm, d dwKernel) {
	rec := d.recBytes()
	a.block(d.pfx + "pair")
	a.op("CMPQ CX, $2")
	a.op("JLT %schunk", d.pfx)
	a.op("MOVLQSX 4(R8), AX")
	a.op("CMPQ AX, R10")
	a.op("JLT %schunk", d.pfx)
	a.op("MOVLQSX %d(R8), R15", rec+4)
	a.op("CMPQ R15, R11")
	a.op("JGT %schunk", d.pfx)
	a.op("VMOVAPS %s, Z0", z(d.bias))
	a.op("VMOVAPS %s, Z1", z(d.bias))
	a.op("LEAQ (SI)(AX*4), AX")
	a.op("LEAQ (SI)(R15*4), R15")
	a.op("LEAQ (AX)(DX*2), R13")
	a.op("LEAQ (R15)(DX*2), R14")
	a.op("PREFETCHT0 (AX)(R12*1)")
	a.op("PREFETCHT0 (R15)(R12*1)")
	rows, rows2 := d.rows("AX", "R13"), d.rows("R15", "R14")
	for r := 0; r < 5; r++ {
		a.op("VMOVUPS 0%s, Z2", rows[r])
		a.op("VMOVUPS 64%s, Z3", rows[r])
		a.op("VMOVUPS 0%s, Z7", rows2[r])
		a.op("VMOVUPS 64%s, Z8", rows2[r])
		for c := 0; c < 5; c++ {
			t, x, y := 5*r+c, "Z2", "Z7"
			a.op("KMOVW %d(R8), %s", d.laneMask(t), k(1+t%3))
			a.op("KMOVW %d(R8), %s", rec+d.laneMask(t), k(4+t%3))
			if c > 0 {
				x, y = "Z9", "Z10"
				a.op("VALIGND $%d, Z2, Z3, Z9", c)
				a.op("VALIGND $%d, Z7, Z8, Z10", c)
			}
			d.fma(a, x, t, k(1+t%3), "Z0")
			d.fma(a, y, t, k(4+t%3), "Z1")
		}
	}
	a.op("VMAXPS %s, Z0, Z0", z(d.lo))
	a.op("VMINPS %s, Z0, Z0", z(d.hi))
	a.op("VMAXPS %s, Z1, Z1", z(d.lo))
	a.op("VMINPS %s, Z1, Z1", z(d.hi))
	a.op("MOVLQSX 0(R8), AX")
	a.op("KMOVW 8(R8), K1")
	a.op("VMOVUPS Z0, K1, (DI)(AX*4)")
	a.op("MOVLQSX %d(R8), AX", rec)
	a.op("KMOVW %d(R8), K2", rec+8)
	a.op("VMOVUPS Z1, K2, (DI)(AX*4)")
	a.op("ADDQ $%d, R8", 2*rec)
	a.op("SUBQ $2, CX")
	a.op("JNE %spair", d.pfx)
	a.op("JMP %snext", d.pfx)

	dwChunk(a, d, "chunk")
	a.op("PREFETCHT0 (AX)(R12*1)")
	for t := 0; t < 25; t++ {
		r, c := t/5, t%5
		if c == 0 {
			a.op("VMOVUPS 0%s, Z2", rows[r])
			a.op("VMOVUPS 64%s, Z3", rows[r])
		}
		x := "Z2"
		a.op("KMOVW %d(R8), %s", d.laneMask(t), k(1+t%3))
		if c > 0 {
			x = "Z9"
			a.op("VALIGND $%d, Z2, Z3, Z9", c)
		}
		d.fma(a, x, t, k(1+t%3), "Z0")
	}
	a.op("JMP %sstore", d.pfx)
	dwSlowS1(a, d, "Z2", 3)
}

// dw5x5s2 is the body of the 5x5 stride-2 kernel: a row's first 32 values
// split into even ones (Z8) and odd ones (Z1), its last 16 into Z2 and Z7;
// the slow path loads each tap's 32 values into Z1 and Z2 under the loads'
// masks (K2, K3) and keeps the even ones.
func dw5x5s2(a *asm, d dwKernel) {
	dwChunk(a, d, "chunk")
	a.op("PREFETCHT0 (AX)(R12*1)")
	a.op("PREFETCHT0 64(AX)(R12*1)")
	a.op("PREFETCHT0 128(AX)(R12*1)")
	rows := d.rows("AX", "R13")
	// Column c's values: even or odd ones, shifted by c/2.
	cols := []string{"Z8", "Z1", "$1, Z8, Z2", "$1, Z1, Z7", "$2, Z8, Z2"}
	for r := 0; r < 5; r++ {
		a.op("VMOVUPS 0%s, Z1", rows[r])
		a.op("VMOVUPS 64%s, Z2", rows[r])
		a.op("VMOVUPS 128%s, Z7", rows[r])
		a.op("VMOVAPS Z1, Z8")
		a.op("VPERMT2PS Z2, Z3, Z8")
		a.op("VPERMT2PS Z2, Z10, Z1")
		a.op("VPERMPS Z7, Z3, Z2")
		a.op("VPERMPS Z7, Z10, Z7")
		for c := 0; c < 5; c++ {
			t, x := 5*r+c, cols[c]
			a.op("KMOVW %d(R8), %s", d.laneMask(t), k(1+t%7))
			if c > 1 {
				a.op("VALIGND %s, Z9", x)
				x = "Z9"
			}
			d.fma(a, x, t, k(1+t%7), "Z0")
		}
	}
	a.op("JMP %sstore", d.pfx)

	a.block(d.pfx + "slow")
	dwBase(a, d)
	for t := 0; t < 25; t++ {
		r, c := t/5, t%5
		a.op("KMOVW %d(R8), K1", d.laneMask(t))
		a.op("KMOVW %d(R8), K2", d.loadMask(t))
		a.op("KMOVW %d(R8), K3", d.loadMask(t)+2)
		a.op("VMOVUPS.Z %d%s, K2, Z1", 4*c, rows[r])
		a.op("VMOVUPS.Z %d%s, K3, Z2", 64+4*c, rows[r])
		a.op("VPERMT2PS Z2, Z3, Z1")
		d.fma(a, "Z1", t, "K1", "Z0")
	}
}

// dwTable writes a table of 16 int32 indices.
func dwTable(a *asm, name string, idx func(i int) int) {
	for i := 0; i < 16; i++ {
		fmt.Fprintf(a, "DATA %s<>+%d(SB)/4, $%d\n", name, 4*i, idx(i))
	}
	fmt.Fprintf(a, "GLOBL %s<>(SB), RODATA|NOPTR, $64\n", name)
}

const dwDoc = `// The direct depthwise 3x3 kernels (see dwdirect.go; the 5x5 ones follow): nch channels, each
// chunk by chunk through the records, its nine weights broadcast into
// Z16-Z24 and its bias into Z12, the input's row length in bytes in DX, a
// channel's input size in bytes in R12. A chunk is the bias plus nine FMAs
// in tap order, each merge-masked to the lanes whose tap reads the input,
// clamped, and stored under its mask; it prefetches the same place of the
// next channel. A chunk whose loads all lie in src[lowB : highB+span] of
// the current channel (span: dwSpan) loads whole registers; the others
// (the first and last rows of the first and last channels) load under the
// taps' masks, so that they read nothing outside the input (masked-off
// lanes read no memory). Masked loads are kept to those: on Zen 5 one whose
// masked-off part falls on another page costs hundreds of cycles.
`

var dwKernels = []dwKernel{
	{name: "dw3x3s1AVX512", k: 3, s: 1, pfx: "s1", bias: 12, lo: 13, hi: 14, w0: 16, loop: "chunk", body: dw3x3s1, doc: `// Stride 1, records of 48 bytes: each row of taps loads the 32 values from
// the chunk's start in two registers, the taps of columns 1 and 2 shift
// theirs out of them (VALIGND): two loads a row instead of one a tap. The
// masked loads of the slow path read each tap's 16 values. A chunk whose
// record says all its lanes are stored and read the input at every tap
// (bit 16 of the store mask's word: the inside of a large image) takes
// unmasked FMAs and store: loading nine masks a chunk cost 18% of the
// layer (144@56).
`},
	{name: "dw3x3s2AVX512", k: 3, s: 2, pfx: "s2", bias: 12, lo: 13, hi: 14, w0: 16, loop: "chunk", body: dw3x3s2,
		tables: []string{"dwEven<>(SB), Z15", "dwOdd<>(SB), Z11"}, doc: `// Stride 2, records of 96 bytes (the lanes' masks, then the loads' masks
// from byte 48): each row of taps loads its 32 values from the chunk's
// start and value 32 once, splits them into even and odd ones (VPERMT2PS
// with the indices dwEven in Z15, dwOdd in Z11), and column 2 takes the
// even ones shifted by one (VALIGND): three loads and three permutations a
// row, where a tap at a time took six and three. The masked loads of the
// slow path read each tap's 32 values and keep the even ones.
`},
	{name: "dw3x3s2PairsAVX512", k: 3, s: 2, pfx: "p2", bias: 12, lo: 13, hi: 14, w0: 16, loop: "chunk", body: dw3x3s2, pairs: true,
		tables: []string{"dwEven<>(SB), Z15"}, doc: `// Stride 2, chunks of two output rows (outputs at most 8 wide): as
// dw3x3s2AVX512, but the upper 16 values of each tap come from the second
// row's taps (the record's word 21: where they start, in R14), and lanes
// 8-15 are stored apart, right after the first row (words 22 and 23: their
// shift and mask), by a second masked store. A chunk a row would fill 7
// lanes of 16 at 7x7.
`},
	{name: "dw5x5s1AVX512", k: 5, s: 1, pfx: "f1", bias: 4, lo: 5, hi: 6, w0: 11, loop: "pair", body: dw5x5s1, doc: `// Stride 1, 5x5, records of 112 bytes: as dw3x3s1AVX512 with five rows of
// five taps (VALIGND by 1 to 4); weights 0-20 in Z11-Z31, 21-24 broadcast
// from memory, the bias in Z4, the clamp in Z5 and Z6; R13 points two rows
// down, for the fourth row (R15 and R14 for a second chunk). Two chunks
// whose loads are both whole registers go together (accumulators Z0 and
// Z1, each in tap order, bit for bit a chunk alone): one chunk's chain of
// 25 FMAs is latency-bound.
`},
	{name: "dw5x5s2AVX512", k: 5, s: 2, pfx: "f2", bias: 4, lo: 5, hi: 6, w0: 11, loop: "chunk", body: dw5x5s2,
		tables: []string{"dwEven<>(SB), Z3", "dwOdd<>(SB), Z10"}, doc: `// Stride 2, 5x5, records of 224 bytes (the lanes' masks, then the loads'
// masks from byte 112). The whole-register path loads each row's 48 values
// from the chunk's start once (three loads, where a tap at a time takes ten
// loads that each cross a cache line), splits its first 32 into even and
// odd values (VPERMT2PS with the indices dwEven in Z3, dwOdd in Z10) and
// the last 16 (VPERMPS), the taps of columns 0 and 1 take the first 16
// even and odd values, those of columns 2, 3 and 4 shift theirs out
// (VALIGND); the masked loads of the slow path read each tap's 32 values
// and keep the even ones. The weights and the rest as in dw5x5s1AVX512.
`},
}

// dwDirect writes the direct depthwise kernels and their index tables.
func dwDirect(a *asm) {
	a.WriteString(dwDoc)
	for _, d := range dwKernels {
		a.WriteString("\n")
		dwFrame(a, d)
	}
	a.WriteString("\n")
	dwTable(a, "dwOdd", func(i int) int { return 2*i + 1 })
	a.WriteString("\n")
	dwTable(a, "dwEven", func(i int) int { return 2 * i })
}
