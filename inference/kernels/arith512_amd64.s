//go:build amd64 && !purego

#include "textflag.h"
#include "avx512.h"

// The busiest loops of arith.go in AVX-512: 32 lanes a step, then 16, then
// the last few under a mask; the same instructions, in the same order, as
// the SSE loops of arith_amd64.s, so the results are the same bits
// (including which NaN MAXPS keeps). arith_amd64.go picks them when the CPU
// has AVX-512.

// ACC512 is the body of maxAcc512 and addAcc512: dst[i] = OP(dst[i],
// src[i]), with OP's second operand src (VMAXPS keeps it when either is
// NaN, as MAXPS does).
#define ACC512(OP) \
	MOVQ dst+0(FP), DI; \
	MOVQ src+8(FP), SI; \
	MOVQ n+16(FP), CX; \
loop32: \
	CMPQ    CX, $32; \
	JLT     step16; \
	VMOVUPS (DI), Z0; \
	VMOVUPS 64(DI), Z1; \
	OP      (SI), Z0, Z0; \
	OP      64(SI), Z1, Z1; \
	VMOVUPS Z0, (DI); \
	VMOVUPS Z1, 64(DI); \
	ADDQ    $128, SI; \
	ADDQ    $128, DI; \
	SUBQ    $32, CX; \
	JMP     loop32; \
step16: \
	CMPQ    CX, $16; \
	JLT     tail; \
	VMOVUPS (DI), Z0; \
	OP      (SI), Z0, Z0; \
	VMOVUPS Z0, (DI); \
	ADDQ    $64, SI; \
	ADDQ    $64, DI; \
	SUBQ    $16, CX; \
tail: \
	TESTQ     CX, CX; \
	JEQ       done; \
	TAILMASK16(K1); \
	VMOVUPS.Z (DI), K1, Z0; \
	VMOVUPS.Z (SI), K1, Z2; \
	OP        Z2, Z0, Z0; \
	VMOVUPS   Z0, K1, (DI); \
done: \
	VZEROUPPER; \
	RET

// AFFINE512 sets R = min(max(R*Z4 + Z5, Z6), Z7) as affineClamp does: the
// product and the sum rounded apart, and a NaN kept (MAXPS and MINPS keep
// their second operand, the value, when either is NaN). Clobbers Z3.
#define AFFINE512(R) \
	VMULPS Z4, R, R; \
	VADDPS Z5, R, R; \
	VMAXPS R, Z6, Z3; \
	VMINPS Z3, Z7, R

// func addVV512(dst, a, b *float32, n int)
TEXT ·addVV512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX

loop32:
	CMPQ    CX, $32
	JLT     step16
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VADDPS  (DX), Z0, Z0
	VADDPS  64(DX), Z1, Z1
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	ADDQ    $128, SI
	ADDQ    $128, DX
	ADDQ    $128, DI
	SUBQ    $32, CX
	JMP     loop32

step16:
	CMPQ    CX, $16
	JLT     tail
	VMOVUPS (SI), Z0
	VADDPS  (DX), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, DI
	SUBQ    $16, CX

tail:
	TESTQ     CX, CX
	JEQ       done
	TAILMASK16(K1)
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (DX), K1, Z2
	VADDPS    Z2, Z0, Z0
	VMOVUPS   Z0, K1, (DI)

done:
	VZEROUPPER
	RET

// func maxAcc512(dst, src *float32, n int)
TEXT ·maxAcc512(SB), NOSPLIT, $0-24
	ACC512(VMAXPS)

// func addAcc512(dst, src *float32, n int)
TEXT ·addAcc512(SB), NOSPLIT, $0-24
	ACC512(VADDPS)

// func affineClamp512(dst, src *float32, n int, m, a, lo, hi float32)
TEXT ·affineClamp512(SB), NOSPLIT, $0-40
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS m+24(FP), Z4
	VBROADCASTSS a+28(FP), Z5
	VBROADCASTSS lo+32(FP), Z6
	VBROADCASTSS hi+36(FP), Z7

loop32:
	CMPQ    CX, $32
	JLT     step16
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	AFFINE512(Z0)
	AFFINE512(Z1)
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	ADDQ    $128, SI
	ADDQ    $128, DI
	SUBQ    $32, CX
	JMP     loop32

step16:
	CMPQ    CX, $16
	JLT     tail
	VMOVUPS (SI), Z0
	AFFINE512(Z0)
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX

tail:
	TESTQ     CX, CX
	JEQ       done
	TAILMASK16(K1)
	VMOVUPS.Z (SI), K1, Z0
	AFFINE512(Z0)
	VMOVUPS   Z0, K1, (DI)

done:
	VZEROUPPER
	RET

// func addClamp512(dst, a, b *float32, n int, lo, hi float32)
// dst[i] = min(max(a[i] + b[i], lo), hi), a NaN kept as in AFFINE512.
TEXT ·addClamp512(SB), NOSPLIT, $0-40
	MOVQ         dst+0(FP), DI
	MOVQ         a+8(FP), SI
	MOVQ         b+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSS lo+32(FP), Z6
	VBROADCASTSS hi+36(FP), Z7

loop32:
	CMPQ    CX, $32
	JLT     step16
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VADDPS  (DX), Z0, Z0
	VADDPS  64(DX), Z1, Z1
	VMAXPS  Z0, Z6, Z3
	VMINPS  Z3, Z7, Z0
	VMAXPS  Z1, Z6, Z3
	VMINPS  Z3, Z7, Z1
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	ADDQ    $128, SI
	ADDQ    $128, DX
	ADDQ    $128, DI
	SUBQ    $32, CX
	JMP     loop32

step16:
	CMPQ    CX, $16
	JLT     tail
	VMOVUPS (SI), Z0
	VADDPS  (DX), Z0, Z0
	VMAXPS  Z0, Z6, Z3
	VMINPS  Z3, Z7, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, DI
	SUBQ    $16, CX

tail:
	TESTQ     CX, CX
	JEQ       done
	TAILMASK16(K1)
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (DX), K1, Z2
	VADDPS    Z2, Z0, Z0
	VMAXPS    Z0, Z6, Z3
	VMINPS    Z3, Z7, Z0
	VMOVUPS   Z0, K1, (DI)

done:
	VZEROUPPER
	RET

// func maskWithin512(dst, src, y *float32, n int, lo, hi float32)
// dst[i] = src[i] where lo < y[i] < hi, else 0 (0 where y[i] is NaN).
TEXT ·maskWithin512(SB), NOSPLIT, $0-40
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         y+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSS lo+32(FP), Z6
	VBROADCASTSS hi+36(FP), Z7

loop32:
	CMPQ      CX, $32
	JLT       step16
	VMOVUPS   (DX), Z1
	VMOVUPS   64(DX), Z2
	VCMPPS    $0x1e, Z6, Z1, K1
	VCMPPS    $0x1e, Z6, Z2, K2
	VCMPPS    $0x11, Z7, Z1, K1, K1
	VCMPPS    $0x11, Z7, Z2, K2, K2
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z 64(SI), K2, Z3
	VMOVUPS   Z0, (DI)
	VMOVUPS   Z3, 64(DI)
	ADDQ      $128, SI
	ADDQ      $128, DX
	ADDQ      $128, DI
	SUBQ      $32, CX
	JMP       loop32

step16:
	CMPQ      CX, $16
	JLT       tail
	VMOVUPS   (DX), Z1
	VCMPPS    $0x1e, Z6, Z1, K1
	VCMPPS    $0x11, Z7, Z1, K1, K1
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS   Z0, (DI)
	ADDQ      $64, SI
	ADDQ      $64, DX
	ADDQ      $64, DI
	SUBQ      $16, CX

tail:
	TESTQ     CX, CX
	JEQ       done
	TAILMASK16(K2)
	VMOVUPS.Z (DX), K2, Z1
	VCMPPS    $0x1e, Z6, Z1, K2, K1
	VCMPPS    $0x11, Z7, Z1, K1, K1
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS   Z0, K2, (DI)

done:
	VZEROUPPER
	RET
