//go:build !purego

#include "textflag.h"

// func addVV(dst, a, b []float32)
// dst[i] = a[i] + b[i] for i < len(dst); the caller checks a and b are long
// enough.
TEXT ·addVV(SB), NOSPLIT, $0-72
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

// func mulVS(dst, a []float32, s float32)
// dst[i] = a[i] * s for i < len(dst); the caller checks a is long enough.
TEXT ·mulVS(SB), NOSPLIT, $0-52
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
