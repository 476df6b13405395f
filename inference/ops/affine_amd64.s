//go:build !purego

#include "textflag.h"

// func affineClamp(dst, src []float32, m, a, lo, hi float32)
// dst[i] = min(max(src[i]*m + a, lo), hi) for i < len(dst); the caller
// checks that src is long enough. The bounds are the destination operands
// of MAXPS and MINPS, so that a NaN value passes through.
TEXT ·affineClamp(SB), NOSPLIT, $0-64
	MOVQ   dst_base+0(FP), DI
	MOVQ   dst_len+8(FP), CX
	MOVQ   src_base+24(FP), SI
	MOVSS  m+48(FP), X4
	SHUFPS $0, X4, X4
	MOVSS  a+52(FP), X5
	SHUFPS $0, X5, X5
	MOVSS  lo+56(FP), X6
	SHUFPS $0, X6, X6
	MOVSS  hi+60(FP), X7
	SHUFPS $0, X7, X7
	CMPQ   CX, $4
	JLT    tail1

loop4:
	MOVUPS (SI), X0
	MULPS  X4, X0
	ADDPS  X5, X0
	MOVAPS X6, X1
	MAXPS  X0, X1
	MOVAPS X7, X0
	MINPS  X1, X0
	MOVUPS X0, (DI)
	ADDQ   $16, SI
	ADDQ   $16, DI
	SUBQ   $4, CX
	CMPQ   CX, $4
	JGE    loop4

tail1:
	TESTQ CX, CX
	JEQ   done

loop1:
	MOVSS  (SI), X0
	MULSS  X4, X0
	ADDSS  X5, X0
	MOVAPS X6, X1
	MAXSS  X0, X1
	MOVAPS X7, X0
	MINSS  X1, X0
	MOVSS  X0, (DI)
	ADDQ   $4, SI
	ADDQ   $4, DI
	DECQ   CX
	JNE    loop1

done:
	RET
