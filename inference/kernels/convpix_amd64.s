//go:build amd64 && !purego

#include "textflag.h"

// The pixel-major convolution's gathers (see convpix.go), AVX-512.

// func gatherPanel8AVX512(panel, x *float32, rowOff *int, kc int, idx *int32)
// panel[p*8+r] = x[rowOff[p]+idx[r]] for p < kc, r < 8.
TEXT ·gatherPanel8AVX512(SB), NOSPLIT, $0-40
	MOVQ panel+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ rowOff+16(FP), R8
	MOVQ kc+24(FP), CX
	MOVQ idx+32(FP), DX
	VMOVDQU (DX), Y1
	MOVL $0xff, AX
gloop:
	MOVQ (R8), BX
	LEAQ (SI)(BX*4), BX
	KMOVW AX, K1
	VXORPS Y0, Y0, Y0
	VGATHERDPS (BX)(Y1*4), K1, Y0
	VMOVUPS Y0, (DI)
	ADDQ $8, R8
	ADDQ $32, DI
	DECQ CX
	JNZ gloop
	VZEROUPPER
	RET

// func copyPanel8AVX512(panel, x *float32, rowOff *int, kc int)
// panel[p*8+r] = x[rowOff[p]+r] for p < kc, r < 8.
TEXT ·copyPanel8AVX512(SB), NOSPLIT, $0-32
	MOVQ panel+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ rowOff+16(FP), R8
	MOVQ kc+24(FP), CX
cloop:
	MOVQ (R8), BX
	VMOVUPS (SI)(BX*4), Y0
	VMOVUPS Y0, (DI)
	ADDQ $8, R8
	ADDQ $32, DI
	DECQ CX
	JNZ cloop
	VZEROUPPER
	RET

// func transposeRowAVX512(dst, ct *float32, idx *int32, step, n int, bias, lo, hi float32)
// dst[i] = min(max(ct[(i/16)*step/4 + idx[i%16]] + bias, lo), hi) for i < n:
// one output channel from a pixel-major matrix (idx[j] = j*ldc, step =
// 16*ldc*4 bytes).
TEXT ·transposeRowAVX512(SB), NOSPLIT, $0-52
	MOVQ dst+0(FP), DI
	MOVQ ct+8(FP), SI
	MOVQ idx+16(FP), DX
	MOVQ step+24(FP), R9
	MOVQ n+32(FP), CX
	VBROADCASTSS bias+40(FP), Z2
	VBROADCASTSS lo+44(FP), Z3
	VBROADCASTSS hi+48(FP), Z4
	VMOVDQU32 (DX), Z1
	MOVL $0xffff, AX
tloop:
	CMPQ CX, $16
	JLT ttail
	KMOVW AX, K1
	VPXORD Z0, Z0, Z0
	VGATHERDPS (SI)(Z1*4), K1, Z0
	VADDPS Z2, Z0, Z0
	VMAXPS Z3, Z0, Z0
	VMINPS Z4, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ R9, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP tloop
ttail:
	TESTQ CX, CX
	JEQ tdone
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	KMOVW AX, K2
	VPXORD Z0, Z0, Z0
	VGATHERDPS (SI)(Z1*4), K1, Z0
	VADDPS Z2, Z0, Z0
	VMAXPS Z3, Z0, Z0
	VMINPS Z4, Z0, Z0
	VMOVUPS Z0, K2, (DI)
tdone:
	VZEROUPPER
	RET

// TRANSPOSE16X16 loads the 16 rows of a block (row i at SI plus the
// offset at R8+8*i) and transposes them in registers: Z0..Z15 hold its
// 16 columns. It clobbers AX and Z16..Z31.
#define TRANSPOSE16X16 \
	MOVQ 0(R8), AX \
	VMOVUPS (SI)(AX*1), Z0 \
	MOVQ 8(R8), AX \
	VMOVUPS (SI)(AX*1), Z1 \
	MOVQ 16(R8), AX \
	VMOVUPS (SI)(AX*1), Z2 \
	MOVQ 24(R8), AX \
	VMOVUPS (SI)(AX*1), Z3 \
	MOVQ 32(R8), AX \
	VMOVUPS (SI)(AX*1), Z4 \
	MOVQ 40(R8), AX \
	VMOVUPS (SI)(AX*1), Z5 \
	MOVQ 48(R8), AX \
	VMOVUPS (SI)(AX*1), Z6 \
	MOVQ 56(R8), AX \
	VMOVUPS (SI)(AX*1), Z7 \
	MOVQ 64(R8), AX \
	VMOVUPS (SI)(AX*1), Z8 \
	MOVQ 72(R8), AX \
	VMOVUPS (SI)(AX*1), Z9 \
	MOVQ 80(R8), AX \
	VMOVUPS (SI)(AX*1), Z10 \
	MOVQ 88(R8), AX \
	VMOVUPS (SI)(AX*1), Z11 \
	MOVQ 96(R8), AX \
	VMOVUPS (SI)(AX*1), Z12 \
	MOVQ 104(R8), AX \
	VMOVUPS (SI)(AX*1), Z13 \
	MOVQ 112(R8), AX \
	VMOVUPS (SI)(AX*1), Z14 \
	MOVQ 120(R8), AX \
	VMOVUPS (SI)(AX*1), Z15 \
	VUNPCKLPS Z1, Z0, Z16 \
	VUNPCKHPS Z1, Z0, Z17 \
	VUNPCKLPS Z3, Z2, Z18 \
	VUNPCKHPS Z3, Z2, Z19 \
	VUNPCKLPS Z5, Z4, Z20 \
	VUNPCKHPS Z5, Z4, Z21 \
	VUNPCKLPS Z7, Z6, Z22 \
	VUNPCKHPS Z7, Z6, Z23 \
	VUNPCKLPS Z9, Z8, Z24 \
	VUNPCKHPS Z9, Z8, Z25 \
	VUNPCKLPS Z11, Z10, Z26 \
	VUNPCKHPS Z11, Z10, Z27 \
	VUNPCKLPS Z13, Z12, Z28 \
	VUNPCKHPS Z13, Z12, Z29 \
	VUNPCKLPS Z15, Z14, Z30 \
	VUNPCKHPS Z15, Z14, Z31 \
	VUNPCKLPD Z18, Z16, Z0 \
	VUNPCKHPD Z18, Z16, Z1 \
	VUNPCKLPD Z19, Z17, Z2 \
	VUNPCKHPD Z19, Z17, Z3 \
	VUNPCKLPD Z22, Z20, Z4 \
	VUNPCKHPD Z22, Z20, Z5 \
	VUNPCKLPD Z23, Z21, Z6 \
	VUNPCKHPD Z23, Z21, Z7 \
	VUNPCKLPD Z26, Z24, Z8 \
	VUNPCKHPD Z26, Z24, Z9 \
	VUNPCKLPD Z27, Z25, Z10 \
	VUNPCKHPD Z27, Z25, Z11 \
	VUNPCKLPD Z30, Z28, Z12 \
	VUNPCKHPD Z30, Z28, Z13 \
	VUNPCKLPD Z31, Z29, Z14 \
	VUNPCKHPD Z31, Z29, Z15 \
	VSHUFF32X4 $0x44, Z4, Z0, Z16 \
	VSHUFF32X4 $0xEE, Z4, Z0, Z17 \
	VSHUFF32X4 $0x44, Z12, Z8, Z18 \
	VSHUFF32X4 $0xEE, Z12, Z8, Z19 \
	VSHUFF32X4 $0x44, Z5, Z1, Z20 \
	VSHUFF32X4 $0xEE, Z5, Z1, Z21 \
	VSHUFF32X4 $0x44, Z13, Z9, Z22 \
	VSHUFF32X4 $0xEE, Z13, Z9, Z23 \
	VSHUFF32X4 $0x44, Z6, Z2, Z24 \
	VSHUFF32X4 $0xEE, Z6, Z2, Z25 \
	VSHUFF32X4 $0x44, Z14, Z10, Z26 \
	VSHUFF32X4 $0xEE, Z14, Z10, Z27 \
	VSHUFF32X4 $0x44, Z7, Z3, Z28 \
	VSHUFF32X4 $0xEE, Z7, Z3, Z29 \
	VSHUFF32X4 $0x44, Z15, Z11, Z30 \
	VSHUFF32X4 $0xEE, Z15, Z11, Z31 \
	VSHUFF32X4 $0x88, Z18, Z16, Z0 \
	VSHUFF32X4 $0xDD, Z18, Z16, Z4 \
	VSHUFF32X4 $0x88, Z19, Z17, Z8 \
	VSHUFF32X4 $0xDD, Z19, Z17, Z12 \
	VSHUFF32X4 $0x88, Z22, Z20, Z1 \
	VSHUFF32X4 $0xDD, Z22, Z20, Z5 \
	VSHUFF32X4 $0x88, Z23, Z21, Z9 \
	VSHUFF32X4 $0xDD, Z23, Z21, Z13 \
	VSHUFF32X4 $0x88, Z26, Z24, Z2 \
	VSHUFF32X4 $0xDD, Z26, Z24, Z6 \
	VSHUFF32X4 $0x88, Z27, Z25, Z10 \
	VSHUFF32X4 $0xDD, Z27, Z25, Z14 \
	VSHUFF32X4 $0x88, Z30, Z28, Z3 \
	VSHUFF32X4 $0xDD, Z30, Z28, Z7 \
	VSHUFF32X4 $0x88, Z31, Z29, Z11 \
	VSHUFF32X4 $0xDD, Z31, Z29, Z15

// func transposeBlocksAVX512(dst, ct *float32, rowOffs *int, blockBytes, npixBytes int, bias *float32, nblk, mask int, lo, hi float32)
//
// 16 output channels of a pixel-major matrix, nblk blocks of 16 pixels:
// dst[c*npix + p] = min(max(ct[p*ldc + c] + bias[c], lo), hi) for c < 16
// and the pixels p of each block whose bit is set in mask. Block b's row i
// is at ct + b*blockBytes + rowOffs[i] (a partial block repeats its last
// row). Each block's 16 rows are transposed in registers (32-bit and
// 64-bit unpacks within 128-bit lanes, then two rounds of VSHUFF32X4 across
// them): 64 shuffles for 256 values, where transposeRowAVX512 spends a
// 16-value gather on each 16.
TEXT ·transposeBlocksAVX512(SB), NOSPLIT, $0-72
	MOVQ dst+0(FP), DI
	MOVQ ct+8(FP), SI
	MOVQ rowOffs+16(FP), R8
	MOVQ blockBytes+24(FP), R9
	MOVQ npixBytes+32(FP), R11
	MOVQ bias+40(FP), BX
	MOVQ nblk+48(FP), CX
	MOVQ mask+56(FP), AX
	KMOVW AX, K1
	TESTQ CX, CX
	JEQ tbdone
tbloop:
	TRANSPOSE16X16
	VBROADCASTSS lo+64(FP), Z30
	VBROADCASTSS hi+68(FP), Z31
	MOVQ DI, AX
	VADDPS.BCST 0(BX), Z0, Z0
	VMAXPS Z30, Z0, Z0
	VMINPS Z31, Z0, Z0
	VMOVUPS Z0, K1, (AX)
	ADDQ R11, AX
	VADDPS.BCST 4(BX), Z1, Z1
	VMAXPS Z30, Z1, Z1
	VMINPS Z31, Z1, Z1
	VMOVUPS Z1, K1, (AX)
	ADDQ R11, AX
	VADDPS.BCST 8(BX), Z2, Z2
	VMAXPS Z30, Z2, Z2
	VMINPS Z31, Z2, Z2
	VMOVUPS Z2, K1, (AX)
	ADDQ R11, AX
	VADDPS.BCST 12(BX), Z3, Z3
	VMAXPS Z30, Z3, Z3
	VMINPS Z31, Z3, Z3
	VMOVUPS Z3, K1, (AX)
	ADDQ R11, AX
	VADDPS.BCST 16(BX), Z4, Z4
	VMAXPS Z30, Z4, Z4
	VMINPS Z31, Z4, Z4
	VMOVUPS Z4, K1, (AX)
	ADDQ R11, AX
	VADDPS.BCST 20(BX), Z5, Z5
	VMAXPS Z30, Z5, Z5
	VMINPS Z31, Z5, Z5
	VMOVUPS Z5, K1, (AX)
	ADDQ R11, AX
	VADDPS.BCST 24(BX), Z6, Z6
	VMAXPS Z30, Z6, Z6
	VMINPS Z31, Z6, Z6
	VMOVUPS Z6, K1, (AX)
	ADDQ R11, AX
	VADDPS.BCST 28(BX), Z7, Z7
	VMAXPS Z30, Z7, Z7
	VMINPS Z31, Z7, Z7
	VMOVUPS Z7, K1, (AX)
	ADDQ R11, AX
	VADDPS.BCST 32(BX), Z8, Z8
	VMAXPS Z30, Z8, Z8
	VMINPS Z31, Z8, Z8
	VMOVUPS Z8, K1, (AX)
	ADDQ R11, AX
	VADDPS.BCST 36(BX), Z9, Z9
	VMAXPS Z30, Z9, Z9
	VMINPS Z31, Z9, Z9
	VMOVUPS Z9, K1, (AX)
	ADDQ R11, AX
	VADDPS.BCST 40(BX), Z10, Z10
	VMAXPS Z30, Z10, Z10
	VMINPS Z31, Z10, Z10
	VMOVUPS Z10, K1, (AX)
	ADDQ R11, AX
	VADDPS.BCST 44(BX), Z11, Z11
	VMAXPS Z30, Z11, Z11
	VMINPS Z31, Z11, Z11
	VMOVUPS Z11, K1, (AX)
	ADDQ R11, AX
	VADDPS.BCST 48(BX), Z12, Z12
	VMAXPS Z30, Z12, Z12
	VMINPS Z31, Z12, Z12
	VMOVUPS Z12, K1, (AX)
	ADDQ R11, AX
	VADDPS.BCST 52(BX), Z13, Z13
	VMAXPS Z30, Z13, Z13
	VMINPS Z31, Z13, Z13
	VMOVUPS Z13, K1, (AX)
	ADDQ R11, AX
	VADDPS.BCST 56(BX), Z14, Z14
	VMAXPS Z30, Z14, Z14
	VMINPS Z31, Z14, Z14
	VMOVUPS Z14, K1, (AX)
	ADDQ R11, AX
	VADDPS.BCST 60(BX), Z15, Z15
	VMAXPS Z30, Z15, Z15
	VMINPS Z31, Z15, Z15
	VMOVUPS Z15, K1, (AX)
	ADDQ R9, SI
	ADDQ $64, DI
	DECQ CX
	JNE tbloop
tbdone:
	VZEROUPPER
	RET

// func transposeBlocksPlainAVX512(dst, src *float32, rowOffs *int, blockBytes, dstBytes, nblk, mask int)
//
// transposeBlocksAVX512 without the bias and clamp: 16 columns of a
// matrix, nblk blocks of 16 rows, dst[c*ldd + r] = src[r*lds + c] for c <
// 16 and the rows r of each block whose bit is set in mask (dstBytes =
// 4*ldd; block b's row i at src + b*blockBytes + rowOffs[i]). Values are
// moved, not computed: every bit is kept.
TEXT ·transposeBlocksPlainAVX512(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ rowOffs+16(FP), R8
	MOVQ blockBytes+24(FP), R9
	MOVQ dstBytes+32(FP), R11
	MOVQ nblk+40(FP), CX
	MOVQ mask+48(FP), AX
	KMOVW AX, K1
	TESTQ CX, CX
	JEQ tpdone
tploop:
	TRANSPOSE16X16
	MOVQ DI, AX
	VMOVUPS Z0, K1, (AX)
	ADDQ R11, AX
	VMOVUPS Z1, K1, (AX)
	ADDQ R11, AX
	VMOVUPS Z2, K1, (AX)
	ADDQ R11, AX
	VMOVUPS Z3, K1, (AX)
	ADDQ R11, AX
	VMOVUPS Z4, K1, (AX)
	ADDQ R11, AX
	VMOVUPS Z5, K1, (AX)
	ADDQ R11, AX
	VMOVUPS Z6, K1, (AX)
	ADDQ R11, AX
	VMOVUPS Z7, K1, (AX)
	ADDQ R11, AX
	VMOVUPS Z8, K1, (AX)
	ADDQ R11, AX
	VMOVUPS Z9, K1, (AX)
	ADDQ R11, AX
	VMOVUPS Z10, K1, (AX)
	ADDQ R11, AX
	VMOVUPS Z11, K1, (AX)
	ADDQ R11, AX
	VMOVUPS Z12, K1, (AX)
	ADDQ R11, AX
	VMOVUPS Z13, K1, (AX)
	ADDQ R11, AX
	VMOVUPS Z14, K1, (AX)
	ADDQ R11, AX
	VMOVUPS Z15, K1, (AX)
	ADDQ R9, SI
	ADDQ $64, DI
	DECQ CX
	JNE tploop
tpdone:
	VZEROUPPER
	RET
