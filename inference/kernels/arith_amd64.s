//go:build amd64 && !purego

#include "textflag.h"

// The elementwise loops of the operators, four lanes of SSE (part of the
// amd64 baseline, so no feature check is needed), with scalar loops for the
// remainders; see arith.go.

// func addVVSSE(dst, a, b []float32)
// dst[i] = a[i] + b[i] for i < len(dst); the caller checks a and b are long
// enough.
TEXT ·addVVSSE(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	MOVQ b_base+48(FP), DX
	CMPQ CX, $8
	JLT  tail4

loop8:
	MOVUPS (SI), X0
	MOVUPS 16(SI), X1
	MOVUPS (DX), X2
	MOVUPS 16(DX), X3
	ADDPS  X2, X0
	ADDPS  X3, X1
	MOVUPS X0, (DI)
	MOVUPS X1, 16(DI)
	ADDQ   $32, SI
	ADDQ   $32, DX
	ADDQ   $32, DI
	SUBQ   $8, CX
	CMPQ   CX, $8
	JGE    loop8

tail4:
	CMPQ CX, $4
	JLT  tail1
	MOVUPS (SI), X0
	MOVUPS (DX), X2
	ADDPS  X2, X0
	MOVUPS X0, (DI)
	ADDQ   $16, SI
	ADDQ   $16, DX
	ADDQ   $16, DI
	SUBQ   $4, CX

tail1:
	TESTQ CX, CX
	JEQ   done

loop1:
	MOVSS (SI), X0
	MOVSS (DX), X2
	ADDSS X2, X0
	MOVSS X0, (DI)
	ADDQ  $4, SI
	ADDQ  $4, DX
	ADDQ  $4, DI
	DECQ  CX
	JNE   loop1

done:
	RET

// func mulVV(dst, a, b []float32)
// dst[i] = a[i] * b[i] for i < len(dst); the caller checks a and b are long
// enough.
TEXT ·mulVV(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	MOVQ b_base+48(FP), DX
	CMPQ CX, $8
	JLT  tail4

loop8:
	MOVUPS (SI), X0
	MOVUPS 16(SI), X1
	MOVUPS (DX), X2
	MOVUPS 16(DX), X3
	MULPS  X2, X0
	MULPS  X3, X1
	MOVUPS X0, (DI)
	MOVUPS X1, 16(DI)
	ADDQ   $32, SI
	ADDQ   $32, DX
	ADDQ   $32, DI
	SUBQ   $8, CX
	CMPQ   CX, $8
	JGE    loop8

tail4:
	CMPQ CX, $4
	JLT  tail1
	MOVUPS (SI), X0
	MOVUPS (DX), X2
	MULPS  X2, X0
	MOVUPS X0, (DI)
	ADDQ   $16, SI
	ADDQ   $16, DX
	ADDQ   $16, DI
	SUBQ   $4, CX

tail1:
	TESTQ CX, CX
	JEQ   done

loop1:
	MOVSS (SI), X0
	MOVSS (DX), X2
	MULSS X2, X0
	MOVSS X0, (DI)
	ADDQ  $4, SI
	ADDQ  $4, DX
	ADDQ  $4, DI
	DECQ  CX
	JNE   loop1

done:
	RET

// func addVS(dst, a []float32, s float32)
// dst[i] = a[i] + s for i < len(dst); the caller checks a is long enough.
TEXT ·addVS(SB), NOSPLIT, $0-52
	MOVQ   dst_base+0(FP), DI
	MOVQ   dst_len+8(FP), CX
	MOVQ   a_base+24(FP), SI
	MOVSS  s+48(FP), X4
	SHUFPS $0, X4, X4
	CMPQ   CX, $8
	JLT    tail4

loop8:
	MOVUPS (SI), X0
	MOVUPS 16(SI), X1
	ADDPS  X4, X0
	ADDPS  X4, X1
	MOVUPS X0, (DI)
	MOVUPS X1, 16(DI)
	ADDQ   $32, SI
	ADDQ   $32, DI
	SUBQ   $8, CX
	CMPQ   CX, $8
	JGE    loop8

tail4:
	CMPQ CX, $4
	JLT  tail1
	MOVUPS (SI), X0
	ADDPS  X4, X0
	MOVUPS X0, (DI)
	ADDQ   $16, SI
	ADDQ   $16, DI
	SUBQ   $4, CX

tail1:
	TESTQ CX, CX
	JEQ   done

loop1:
	MOVSS (SI), X0
	ADDSS X4, X0
	MOVSS X0, (DI)
	ADDQ  $4, SI
	ADDQ  $4, DI
	DECQ  CX
	JNE   loop1

done:
	RET

// func mulVSSSE(dst, a []float32, s float32)
// dst[i] = a[i] * s for i < len(dst); the caller checks a is long enough.
TEXT ·mulVSSSE(SB), NOSPLIT, $0-52
	MOVQ   dst_base+0(FP), DI
	MOVQ   dst_len+8(FP), CX
	MOVQ   a_base+24(FP), SI
	MOVSS  s+48(FP), X4
	SHUFPS $0, X4, X4
	CMPQ   CX, $8
	JLT    tail4

loop8:
	MOVUPS (SI), X0
	MOVUPS 16(SI), X1
	MULPS  X4, X0
	MULPS  X4, X1
	MOVUPS X0, (DI)
	MOVUPS X1, 16(DI)
	ADDQ   $32, SI
	ADDQ   $32, DI
	SUBQ   $8, CX
	CMPQ   CX, $8
	JGE    loop8

tail4:
	CMPQ CX, $4
	JLT  tail1
	MOVUPS (SI), X0
	MULPS  X4, X0
	MOVUPS X0, (DI)
	ADDQ   $16, SI
	ADDQ   $16, DI
	SUBQ   $4, CX

tail1:
	TESTQ CX, CX
	JEQ   done

loop1:
	MOVSS (SI), X0
	MULSS X4, X0
	MOVSS X0, (DI)
	ADDQ  $4, SI
	ADDQ  $4, DI
	DECQ  CX
	JNE   loop1

done:
	RET

// func affineClampSSE(dst, src []float32, m, a, lo, hi float32)
// dst[i] = min(max(src[i]*m + a, lo), hi) for i < len(dst); the caller
// checks that src is long enough. The bounds are the destination operands
// of MAXPS and MINPS, so that a NaN value passes through.
TEXT ·affineClampSSE(SB), NOSPLIT, $0-64
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

// func maxAccSSE(dst, src []float32)
// dst[i] = max(dst[i], src[i]) for i < len(dst); the caller checks that
// src is long enough. MAXPS keeps the second operand (src) when either is
// NaN.
TEXT ·maxAccSSE(SB), NOSPLIT, $0-48
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

// func addAccSSE(dst, src []float32)
// dst[i] += src[i] for i < len(dst); the caller checks that src is long
// enough.
TEXT ·addAccSSE(SB), NOSPLIT, $0-48
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

// func divVV(dst, a, b []float32)
// dst[i] = a[i] / b[i] for i < len(dst); the caller checks a and b are long
// enough.
TEXT ·divVV(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	MOVQ b_base+48(FP), DX
	CMPQ CX, $8
	JLT  tail4

loop8:
	MOVUPS (SI), X0
	MOVUPS 16(SI), X1
	MOVUPS (DX), X2
	MOVUPS 16(DX), X3
	DIVPS  X2, X0
	DIVPS  X3, X1
	MOVUPS X0, (DI)
	MOVUPS X1, 16(DI)
	ADDQ   $32, SI
	ADDQ   $32, DX
	ADDQ   $32, DI
	SUBQ   $8, CX
	CMPQ   CX, $8
	JGE    loop8

tail4:
	CMPQ CX, $4
	JLT  tail1
	MOVUPS (SI), X0
	MOVUPS (DX), X2
	DIVPS  X2, X0
	MOVUPS X0, (DI)
	ADDQ   $16, SI
	ADDQ   $16, DX
	ADDQ   $16, DI
	SUBQ   $4, CX

tail1:
	TESTQ CX, CX
	JEQ   done

loop1:
	MOVSS (SI), X0
	MOVSS (DX), X2
	DIVSS X2, X0
	MOVSS X0, (DI)
	ADDQ  $4, SI
	ADDQ  $4, DX
	ADDQ  $4, DI
	DECQ  CX
	JNE   loop1

done:
	RET

// func divVS(dst, a []float32, s float32)
// dst[i] = a[i] / s for i < len(dst); the caller checks a is long enough.
TEXT ·divVS(SB), NOSPLIT, $0-52
	MOVQ   dst_base+0(FP), DI
	MOVQ   dst_len+8(FP), CX
	MOVQ   a_base+24(FP), SI
	MOVSS  s+48(FP), X4
	SHUFPS $0, X4, X4
	CMPQ   CX, $8
	JLT    tail4

loop8:
	MOVUPS (SI), X0
	MOVUPS 16(SI), X1
	DIVPS  X4, X0
	DIVPS  X4, X1
	MOVUPS X0, (DI)
	MOVUPS X1, 16(DI)
	ADDQ   $32, SI
	ADDQ   $32, DI
	SUBQ   $8, CX
	CMPQ   CX, $8
	JGE    loop8

tail4:
	CMPQ CX, $4
	JLT  tail1
	MOVUPS (SI), X0
	DIVPS  X4, X0
	MOVUPS X0, (DI)
	ADDQ   $16, SI
	ADDQ   $16, DI
	SUBQ   $4, CX

tail1:
	TESTQ CX, CX
	JEQ   done

loop1:
	MOVSS (SI), X0
	DIVSS X4, X0
	MOVSS X0, (DI)
	ADDQ  $4, SI
	ADDQ  $4, DI
	DECQ  CX
	JNE   loop1

done:
	RET
