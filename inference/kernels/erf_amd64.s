//go:build amd64 && !purego

#include "textflag.h"
#include "avx512.h"

// Erf (see Erf in activation.go for the rational approximation), 16 values
// per AVX-512 vector, with a masked load and store for the last n%16.
// Constants held in registers: Z16 = -4 and Z17 = 4 (the argument clamps),
// Z18-Z24 = P's coefficients p0-p6, Z25-Z29 = Q's q0-q4 (both in x^2).
// VMAXPS and VMINPS return their second source when either is NaN, so NaN
// goes through the clamps and the polynomials.

// ERF512 sets Z0 = erf(Z6); clobbers Z1-Z3.
#define ERF512 \
	VMAXPS Z6, Z16, Z0; \
	VMINPS Z0, Z17, Z0; \
	VMULPS Z0, Z0, Z1; \
	VMOVAPS Z18, Z2; \
	VFMADD213PS Z19, Z1, Z2; \
	VFMADD213PS Z20, Z1, Z2; \
	VFMADD213PS Z21, Z1, Z2; \
	VFMADD213PS Z22, Z1, Z2; \
	VFMADD213PS Z23, Z1, Z2; \
	VFMADD213PS Z24, Z1, Z2; \
	VMOVAPS Z25, Z3; \
	VFMADD213PS Z26, Z1, Z3; \
	VFMADD213PS Z27, Z1, Z3; \
	VFMADD213PS Z28, Z1, Z3; \
	VFMADD213PS Z29, Z1, Z3; \
	VMULPS Z0, Z2, Z2; \
	VDIVPS Z3, Z2, Z0

// ERFCONSTS loads ERF512's constants into Z16-Z29.
#define ERFCONSTS \
	VBROADCASTSS erfConst<>+0(SB), Z16; \
	VBROADCASTSS erfConst<>+4(SB), Z17; \
	VBROADCASTSS erfConst<>+8(SB), Z18; \
	VBROADCASTSS erfConst<>+12(SB), Z19; \
	VBROADCASTSS erfConst<>+16(SB), Z20; \
	VBROADCASTSS erfConst<>+20(SB), Z21; \
	VBROADCASTSS erfConst<>+24(SB), Z22; \
	VBROADCASTSS erfConst<>+28(SB), Z23; \
	VBROADCASTSS erfConst<>+32(SB), Z24; \
	VBROADCASTSS erfConst<>+36(SB), Z25; \
	VBROADCASTSS erfConst<>+40(SB), Z26; \
	VBROADCASTSS erfConst<>+44(SB), Z27; \
	VBROADCASTSS erfConst<>+48(SB), Z28; \
	VBROADCASTSS erfConst<>+52(SB), Z29

// func erfAVX512(dst, src *float32, n int)
TEXT ·erfAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	ERFCONSTS
	MAP512(ERF512, NONE, NONE)
	VZEROUPPER
	RET

// func geluAVX512(dst, src *float32, n int)
//
// GELU, x·(1 + erf(x/√2))/2, with erf as above: Z30 = 1/√2, Z31 = 0.5.
TEXT ·geluAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	ERFCONSTS
	VBROADCASTSS erfConst<>+56(SB), Z30
	VBROADCASTSS erfConst<>+60(SB), Z31
geluloop:
	CMPQ CX, $16
	JLT gelutail
	VMOVUPS (SI), Z7
	VMULPS Z30, Z7, Z6
	ERF512
	VMULPS Z31, Z7, Z4
	VFMADD213PS Z4, Z4, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP geluloop
gelutail:
	TESTQ CX, CX
	JEQ geludone
	TAILMASK16(K2)
	VMOVUPS.Z (SI), K2, Z7
	VMULPS Z30, Z7, Z6
	ERF512
	VMULPS Z31, Z7, Z4
	VFMADD213PS Z4, Z4, Z0
	VMOVUPS Z0, K2, (DI)
geludone:
	VZEROUPPER
	RET

// The clamps -4 and 4, p0-p6, q0-q4 (float32, in the order of the registers),
// then GELU's 1/√2 and 0.5.
DATA erfConst<>+0(SB)/4, $0xc0800000 // -4 (clamp)
DATA erfConst<>+4(SB)/4, $0x40800000 // 4 (clamp)
DATA erfConst<>+8(SB)/4, $0xaf95df0b // p0
DATA erfConst<>+12(SB)/4, $0x32edffee // p1
DATA erfConst<>+16(SB)/4, $0xb60cff51 // p2
DATA erfConst<>+20(SB)/4, $0xb86ec2d2 // p3
DATA erfConst<>+24(SB)/4, $0xba40ac63 // p4
DATA erfConst<>+28(SB)/4, $0xbb41a1f6 // p5
DATA erfConst<>+32(SB)/4, $0xbc83dbd4 // p6
DATA erfConst<>+36(SB)/4, $0xb77460cd // q0
DATA erfConst<>+40(SB)/4, $0xb95fbd29 // q1
DATA erfConst<>+44(SB)/4, $0xbadc924e // q2
DATA erfConst<>+48(SB)/4, $0xbbf19bf8 // q3
DATA erfConst<>+52(SB)/4, $0xbc69b6a7 // q4
DATA erfConst<>+56(SB)/4, $0x3f3504f3 // 1/√2 (GELU)
DATA erfConst<>+60(SB)/4, $0x3f000000 // 0.5 (GELU)
GLOBL erfConst<>(SB), RODATA|NOPTR, $64
