//go:build amd64 && !purego

#include "textflag.h"

// maxPool512 is MaxPool2D's kernel (maxpool.go): whole planes in one call,
// each output row a chunk of output columns at a time, the maximum over the
// window's rows and columns kept in registers.
//
// VMAXPS returns its second operand when either is a NaN, so a chain of
// them can drop a NaN; instead the values each chunk loads are also summed
// (in Z4 and Z5), and the kernel returns whether any such sum was NaN (a
// NaN among the windows' values, or +inf and -inf, in K6): the caller then
// pools those planes again in Go.
//
// Per chunk (a poolChunk of maxpool.go: the input column of its first load,
// the masks of the columns it loads inside the row, its output mask and
// column): the accumulators start at -inf and take the window's rows that
// lie inside the plane with masked loads (masked-off lanes are not read and
// stay -inf, which is the padding); then along the row:
//   stride 1: one load of 16 columns per row, outputs i = max over kx of
//             lane i+kx (VALIGND rotations; the last kw-1 lanes are not
//             stored);
//   stride 2: two loads of 16 columns per row, outputs i = max over kx of
//             lane 2i+kx (the even, odd and next-even lanes gathered by
//             VPERMI2PS).

// Each row loaded also prefetches the rows that the output row two below
// will read (the hardware prefetcher alone left the loads waiting: 2-3x
// slower on planes not in the cache).

// func maxPool512(dst, src *float32, planes, h, w, oh, ow, kh, sh, padT int, chunks *poolChunk, nchunks, kind int) (nan int)
TEXT ·maxPool512(SB), NOSPLIT, $0-112
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         planes+16(FP), R8
	MOVQ         h+24(FP), R9
	MOVQ         w+32(FP), R10
	SHLQ         $2, R10
	MOVQ         kind+96(FP), R15
	MOVL         $0xff800000, AX
	VPBROADCASTD AX, Z31
	VMOVUPS      poolEven<>(SB), Z28
	VMOVUPS      poolOdd<>(SB), Z29
	VMOVUPS      poolEven2<>(SB), Z30
	KXORW        K6, K6, K6

plane:
	TESTQ R8, R8
	JEQ   done
	XORQ  R11, R11
	MOVQ  padT+72(FP), R12
	NEGQ  R12

row:
	CMPQ    R11, oh+40(FP)
	JGE     nextplane
	// The window's rows inside the plane: [max(y0, 0), min(y0+kh, h)).
	MOVQ    R12, AX
	XORQ    BX, BX
	CMPQ    AX, $0
	CMOVQLT BX, AX
	MOVQ    R12, DX
	ADDQ    kh+56(FP), DX
	CMPQ    DX, R9
	CMOVQGT R9, DX
	SUBQ    AX, DX
	IMULQ   R10, AX
	ADDQ    SI, AX
	MOVQ    chunks+80(FP), CX
	MOVQ    nchunks+88(FP), R13

chunk:
	MOVQ    0(CX), BX
	SHLQ    $2, BX
	ADDQ    AX, BX
	KMOVW   8(CX), K1
	KMOVW   16(CX), K2
	KMOVW   24(CX), K3
	VMOVAPS Z31, Z0
	VMOVAPS Z31, Z1
	VXORPS  Z4, Z4, Z4
	VXORPS  Z5, Z5, Z5
	MOVQ    DX, R14
	CMPQ    R15, $2
	JGE     s2rows

s1rows:
	CMPQ     R14, $0
	JLE      s1cols
	PREFETCHT0 (BX)(R10*2)
	VMAXPS     (BX), Z0, K1, Z0
	VADDPS     (BX), Z4, K1, Z4
	ADDQ     R10, BX
	DECQ     R14
	JMP      s1rows

s1cols:
	VCMPPS   $3, Z4, Z4, K4
	KORW     K4, K6, K6
	VALIGND  $1, Z0, Z0, Z2
	VMAXPS   Z2, Z0, Z2
	CMPQ     R15, $0
	JEQ      store
	VALIGND  $2, Z0, Z0, Z3
	VMAXPS   Z3, Z2, Z2
	JMP      store

s2rows:
	CMPQ     R14, $0
	JLE      s2cols
	PREFETCHT0 (BX)(R10*4)
	PREFETCHT0 64(BX)(R10*4)
	VMAXPS     (BX), Z0, K1, Z0
	VMAXPS     64(BX), Z1, K2, Z1
	VADDPS   (BX), Z4, K1, Z4
	VADDPS   64(BX), Z5, K2, Z5
	ADDQ     R10, BX
	DECQ     R14
	JMP      s2rows

s2cols:
	VADDPS    Z5, Z4, Z4
	VCMPPS    $3, Z4, Z4, K4
	KORW      K4, K6, K6
	VMOVAPS   Z28, Z2
	VPERMI2PS Z1, Z0, Z2
	VMOVAPS   Z29, Z3
	VPERMI2PS Z1, Z0, Z3
	VMAXPS    Z3, Z2, Z2
	CMPQ      R15, $2
	JEQ       store
	VMOVAPS   Z30, Z3
	VPERMI2PS Z1, Z0, Z3
	VMAXPS    Z3, Z2, Z2

store:
	MOVQ    32(CX), BX
	VMOVUPS Z2, K3, (DI)(BX*4)
	ADDQ    $40, CX
	DECQ    R13
	JNE     chunk

	MOVQ ow+48(FP), BX
	LEAQ (DI)(BX*4), DI
	ADDQ sh+64(FP), R12
	INCQ R11
	JMP  row

nextplane:
	MOVQ  R9, AX
	IMULQ R10, AX
	ADDQ  AX, SI
	DECQ  R8
	JMP   plane

done:
	KMOVW      K6, AX
	MOVQ       AX, nan+104(FP)
	VZEROUPPER
	RET

DATA poolEven<>+0(SB)/4, $0
DATA poolEven<>+4(SB)/4, $2
DATA poolEven<>+8(SB)/4, $4
DATA poolEven<>+12(SB)/4, $6
DATA poolEven<>+16(SB)/4, $8
DATA poolEven<>+20(SB)/4, $10
DATA poolEven<>+24(SB)/4, $12
DATA poolEven<>+28(SB)/4, $14
DATA poolEven<>+32(SB)/4, $16
DATA poolEven<>+36(SB)/4, $18
DATA poolEven<>+40(SB)/4, $20
DATA poolEven<>+44(SB)/4, $22
DATA poolEven<>+48(SB)/4, $24
DATA poolEven<>+52(SB)/4, $26
DATA poolEven<>+56(SB)/4, $28
DATA poolEven<>+60(SB)/4, $30
GLOBL poolEven<>(SB), RODATA|NOPTR, $64

DATA poolOdd<>+0(SB)/4, $1
DATA poolOdd<>+4(SB)/4, $3
DATA poolOdd<>+8(SB)/4, $5
DATA poolOdd<>+12(SB)/4, $7
DATA poolOdd<>+16(SB)/4, $9
DATA poolOdd<>+20(SB)/4, $11
DATA poolOdd<>+24(SB)/4, $13
DATA poolOdd<>+28(SB)/4, $15
DATA poolOdd<>+32(SB)/4, $17
DATA poolOdd<>+36(SB)/4, $19
DATA poolOdd<>+40(SB)/4, $21
DATA poolOdd<>+44(SB)/4, $23
DATA poolOdd<>+48(SB)/4, $25
DATA poolOdd<>+52(SB)/4, $27
DATA poolOdd<>+56(SB)/4, $29
DATA poolOdd<>+60(SB)/4, $31
GLOBL poolOdd<>(SB), RODATA|NOPTR, $64

DATA poolEven2<>+0(SB)/4, $2
DATA poolEven2<>+4(SB)/4, $4
DATA poolEven2<>+8(SB)/4, $6
DATA poolEven2<>+12(SB)/4, $8
DATA poolEven2<>+16(SB)/4, $10
DATA poolEven2<>+20(SB)/4, $12
DATA poolEven2<>+24(SB)/4, $14
DATA poolEven2<>+28(SB)/4, $16
DATA poolEven2<>+32(SB)/4, $18
DATA poolEven2<>+36(SB)/4, $20
DATA poolEven2<>+40(SB)/4, $22
DATA poolEven2<>+44(SB)/4, $24
DATA poolEven2<>+48(SB)/4, $26
DATA poolEven2<>+52(SB)/4, $28
DATA poolEven2<>+56(SB)/4, $30
DATA poolEven2<>+60(SB)/4, $0
GLOBL poolEven2<>(SB), RODATA|NOPTR, $64

// FLATV sets V to the maximum down the 3-row windows of the 16 values at
// byte offset OFF of the plane SI (rows above at R11, below at R12), with
// the masks at MP: in the plane, with a row above, with a row below; it
// flags a NaN among the step's own values in K6 (each value of the plane is
// a step's own once, and lies in some window). Clobbers K1-K4.
#define FLATV(V, OFF, MP) \
	KMOVW     0(MP), K1; \
	KMOVW     2(MP), K2; \
	KMOVW     4(MP), K3; \
	VMOVUPS.Z (SI)(OFF*1), K1, V; \
	VCMPPS    $3, V, V, K4; \
	KORW      K4, K6, K6; \
	VMAXPS    (R11)(OFF*1), V, K2, V; \
	VMAXPS    (R12)(OFF*1), V, K3, V; \
	PREFETCHT0 256(R12)(OFF*1)

// func maxPoolFlat512(dst, src *float32, planes, hw, w int, masks *uint16, nvec int) (nan int)
//
// 3x3 windows, stride 1, padding 1 on every side: each plane as one flat
// run of h*w values, 16 outputs a step. The maximum down the columns of
// each step's values (FLATV, with the rows above and below w values away)
// is combined with its left and right neighbours, shifted in from the
// previous and next steps with VALIGND, in the lanes whose column has them
// (the masks at 6 and 8 of each step's 16 bytes at masks). FLATV prefetches
// 4 lines ahead of the row below.
TEXT ·maxPoolFlat512(SB), NOSPLIT, $0-64
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         planes+16(FP), R8
	MOVQ         hw+24(FP), R9
	SHLQ         $2, R9
	MOVQ         w+32(FP), R10
	SHLQ         $2, R10
	MOVL         $0xff800000, AX
	VPBROADCASTD AX, Z31
	KXORW        K6, K6, K6

fplane:
	TESTQ   R8, R8
	JEQ     fdone
	MOVQ    SI, R11
	SUBQ    R10, R11
	LEAQ    (SI)(R10*1), R12
	XORQ    AX, AX
	MOVQ    masks+40(FP), CX
	MOVQ    nvec+48(FP), R13
	VMOVAPS Z31, Z1
	FLATV(Z2, AX, CX)

fvec:
	VMOVAPS Z31, Z3
	DECQ    R13
	JEQ     fout
	LEAQ    64(AX), BX
	LEAQ    16(CX), DX
	FLATV(Z3, BX, DX)

fout:
	KMOVW   0(CX), K1
	KMOVW   6(CX), K2
	KMOVW   8(CX), K3
	VALIGND $15, Z1, Z2, Z7
	VALIGND $1, Z2, Z3, Z8
	VMOVAPS Z2, Z9
	VMAXPS  Z7, Z9, K2, Z9
	VMAXPS  Z8, Z9, K3, Z9
	VMOVUPS Z9, K1, (DI)(AX*1)
	VMOVAPS Z2, Z1
	VMOVAPS Z3, Z2
	ADDQ    $64, AX
	ADDQ    $16, CX
	TESTQ   R13, R13
	JNE     fvec
	ADDQ    R9, SI
	ADDQ    R9, DI
	DECQ    R8
	JMP     fplane

fdone:
	KMOVW K6, AX
	MOVQ  AX, nan+56(FP)
	VZEROUPPER
	RET
