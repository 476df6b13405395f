//go:build !purego

#include "textflag.h"

// func maxInto(dst, src []float32)
// dst[i] = max(dst[i], src[i]) for i < len(dst); the caller checks that
// src is long enough. MAXPS keeps the second operand (src) when either is
// NaN.
TEXT ·maxInto(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	CMPQ CX, $8
	JLT  tail4

loop8:
	MOVUPS (DI), X0
	MOVUPS 16(DI), X1
	MOVUPS (SI), X2
	MOVUPS 16(SI), X3
	MAXPS  X2, X0
	MAXPS  X3, X1
	MOVUPS X0, (DI)
	MOVUPS X1, 16(DI)
	ADDQ   $32, DI
	ADDQ   $32, SI
	SUBQ   $8, CX
	CMPQ   CX, $8
	JGE    loop8

tail4:
	CMPQ CX, $4
	JLT  tail1
	MOVUPS (DI), X0
	MOVUPS (SI), X2
	MAXPS  X2, X0
	MOVUPS X0, (DI)
	ADDQ   $16, DI
	ADDQ   $16, SI
	SUBQ   $4, CX

tail1:
	TESTQ CX, CX
	JEQ   done

loop1:
	MOVSS (DI), X0
	MOVSS (SI), X2
	MAXSS X2, X0
	MOVSS X0, (DI)
	ADDQ  $4, DI
	ADDQ  $4, SI
	DECQ  CX
	JNE   loop1

done:
	RET

// func addInto(dst, src []float32)
// dst[i] += src[i] for i < len(dst); the caller checks that src is long
// enough.
TEXT ·addInto(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	CMPQ CX, $8
	JLT  tail4

loop8:
	MOVUPS (DI), X0
	MOVUPS 16(DI), X1
	MOVUPS (SI), X2
	MOVUPS 16(SI), X3
	ADDPS  X2, X0
	ADDPS  X3, X1
	MOVUPS X0, (DI)
	MOVUPS X1, 16(DI)
	ADDQ   $32, DI
	ADDQ   $32, SI
	SUBQ   $8, CX
	CMPQ   CX, $8
	JGE    loop8

tail4:
	CMPQ CX, $4
	JLT  tail1
	MOVUPS (DI), X0
	MOVUPS (SI), X2
	ADDPS  X2, X0
	MOVUPS X0, (DI)
	ADDQ   $16, DI
	ADDQ   $16, SI
	SUBQ   $4, CX

tail1:
	TESTQ CX, CX
	JEQ   done

loop1:
	MOVSS (DI), X0
	MOVSS (SI), X2
	ADDSS X2, X0
	MOVSS X0, (DI)
	ADDQ  $4, DI
	ADDQ  $4, SI
	DECQ  CX
	JNE   loop1

done:
	RET
