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
