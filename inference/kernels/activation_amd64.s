//go:build amd64 && !purego

#include "textflag.h"
#include "avx512.h"

// Exp, sigmoid and SiLU (see activation.go for the formula), 8 values per
// AVX2 vector. Registers held through the loops: Y15 = 1.0 (also the
// exponent bias, 127<<23, as integers), Y14 = -120 and Y13 = 89 (the
// argument clamps), Y12 = 1.5*2^23 (the rounding magic). The other
// constants are memory operands. The last n%8 values are done by one
// VMASKMOVPS load and store, with the mask in Y5.

// EXPCORE sets Y0 = exp(Y0), for Y0 in [-120, 89] or NaN; clobbers Y1-Y3,
// leaving Y3 = y * 2^(n>>1) and Y1 = 2^(n-n>>1) (Y0 = Y3*Y1).
// n = round(x*log2e) through the magic number, whose low mantissa bits then
// hold n as an integer; r = x - n*c1 - n*c2; y = 1 + r + r^2*P(r); the
// result is y * 2^(n>>1) * 2^(n-n>>1).
#define EXPCORE \
	VMOVAPS Y12, Y1; \
	VFMADD231PS actConst<>+32(SB), Y0, Y1; \
	VSUBPS Y12, Y1, Y2; \
	VFNMADD231PS actConst<>+64(SB), Y2, Y0; \
	VFNMADD231PS actConst<>+96(SB), Y2, Y0; \
	VMOVUPS actConst<>+128(SB), Y3; \
	VFMADD213PS actConst<>+160(SB), Y0, Y3; \
	VFMADD213PS actConst<>+192(SB), Y0, Y3; \
	VFMADD213PS actConst<>+224(SB), Y0, Y3; \
	VFMADD213PS actConst<>+256(SB), Y0, Y3; \
	VFMADD213PS actConst<>+288(SB), Y0, Y3; \
	VMULPS Y0, Y0, Y2; \
	VFMADD213PS Y0, Y2, Y3; \
	VADDPS Y15, Y3, Y3; \
	VPSUBD Y12, Y1, Y1; \
	VPSRAD $1, Y1, Y2; \
	VPSUBD Y2, Y1, Y1; \
	VPSLLD $23, Y2, Y2; \
	VPSLLD $23, Y1, Y1; \
	VPADDD Y15, Y2, Y2; \
	VPADDD Y15, Y1, Y1; \
	VMULPS Y2, Y3, Y3; \
	VMULPS Y1, Y3, Y0

// EXP sets Y0 = exp(Y6). VMAXPS and VMINPS return their second source (Y0)
// when either is NaN, so NaN goes through.
#define EXP \
	VMAXPS Y6, Y14, Y0; \
	VMINPS Y0, Y13, Y0; \
	EXPCORE

// SIGMOID sets Y0 = sigmoid(Y6): e = exp(max(-|x|, -120)), then
// 1/(1+e) where x >= 0 and e/(1+e) where x < 0 (by its sign bit).
#define SIGMOID \
	VORPS actConst<>+0(SB), Y6, Y0; \
	VMAXPS Y0, Y14, Y0; \
	EXPCORE; \
	VADDPS Y15, Y0, Y1; \
	VBLENDVPS Y6, Y0, Y15, Y2; \
	VDIVPS Y1, Y2, Y0

// SILU sets Y0 = x*sigmoid(x) for x in Y6: as SIGMOID, with numerator x
// where x >= 0 and max(x, -120)*e where x < 0 (so -Inf gives -0), with x
// multiplied in before e's last factor (so subnormal results round once).
#define SILU \
	VORPS actConst<>+0(SB), Y6, Y0; \
	VMAXPS Y0, Y14, Y0; \
	VMOVAPS Y0, Y7; \
	EXPCORE; \
	VMULPS Y7, Y3, Y2; \
	VMULPS Y1, Y2, Y2; \
	VADDPS Y15, Y0, Y1; \
	VBLENDVPS Y6, Y2, Y6, Y2; \
	VDIVPS Y1, Y2, Y0

#define PROLOGUE \
	MOVQ dst+0(FP), DI; \
	MOVQ src+8(FP), SI; \
	MOVQ n+16(FP), CX; \
	VMOVUPS actConst<>+320(SB), Y15; \
	VMOVUPS actConst<>+352(SB), Y14; \
	VMOVUPS actConst<>+384(SB), Y13; \
	VMOVUPS actConst<>+416(SB), Y12

// TAILMASK sets Y5 to all ones in its first CX lanes (CX in 1..7), zeros
// in the rest.
#define TAILMASK \
	LEAQ actConst<>+480(SB), AX; \
	NEGQ CX; \
	VMOVUPS (AX)(CX*4), Y5

// MAP256(F) is the element-wise loop of the AVX2 functions: dst = DI, src
// = SI, n = CX, 8 values a step, the last n%8 by one masked load and store
// (mask in Y5). F sets Y0 from the values in Y6.
#define MAP256(F) \
loop: \
	CMPQ CX, $8; \
	JLT tail; \
	VMOVUPS (SI), Y6; \
	F; \
	VMOVUPS Y0, (DI); \
	ADDQ $32, SI; \
	ADDQ $32, DI; \
	SUBQ $8, CX; \
	JMP loop; \
tail: \
	TESTQ CX, CX; \
	JEQ done; \
	TAILMASK; \
	VMASKMOVPS (SI), Y5, Y6; \
	F; \
	VMASKMOVPS Y0, Y5, (DI); \
done:

// func expAVX2(dst, src *float32, n int)
TEXT ·expAVX2(SB), NOSPLIT, $0-24
	PROLOGUE
	MAP256(EXP)
	VZEROUPPER
	RET

// func sigmoidAVX2(dst, src *float32, n int)
TEXT ·sigmoidAVX2(SB), NOSPLIT, $0-24
	PROLOGUE
	MAP256(SIGMOID)
	VZEROUPPER
	RET

// func siluAVX2(dst, src *float32, n int)
TEXT ·siluAVX2(SB), NOSPLIT, $0-24
	PROLOGUE
	MAP256(SILU)
	VZEROUPPER
	RET

// Exp, sigmoid and SiLU (see activation.go and the AVX2 code above), 16
// values per AVX-512 vector, with 2^n applied by VSCALEFPS (which rounds
// subnormal and overflowing results once, as the AVX2 code's two factors
// do, so both give the same bits). Every constant is held in a register:
// Z12 = 1.5*2^23, Z13 = 89, Z14 = -120, Z15 = 1.0, Z16 = log2e, Z17 = c1,
// Z18 = c2, Z19-Z24 = p0-p5, Z25 = the sign bit. The last n%16 values are
// done by one masked load and store, with the mask in K2.

// EXPCORE512 sets Z0 = exp(Z0), for Z0 in [-120, 89] or NaN, leaving
// Z3 = 1 + r + r^2*P(r) and Z2 = n (Z0 = Z3 * 2^Z2); clobbers Z1.
#define EXPCORE512 \
	VMOVAPS Z12, Z1; \
	VFMADD231PS Z16, Z0, Z1; \
	VSUBPS Z12, Z1, Z2; \
	VFNMADD231PS Z17, Z2, Z0; \
	VFNMADD231PS Z18, Z2, Z0; \
	VMOVAPS Z19, Z3; \
	VFMADD213PS Z20, Z0, Z3; \
	VFMADD213PS Z21, Z0, Z3; \
	VFMADD213PS Z22, Z0, Z3; \
	VFMADD213PS Z23, Z0, Z3; \
	VFMADD213PS Z24, Z0, Z3; \
	VMULPS Z0, Z0, Z1; \
	VFMADD213PS Z0, Z1, Z3; \
	VADDPS Z15, Z3, Z3; \
	VSCALEFPS Z2, Z3, Z0

// EXP512 sets Z0 = exp(Z6) (NaN goes through the clamps, as in EXP).
#define EXP512 \
	VMAXPS Z6, Z14, Z0; \
	VMINPS Z0, Z13, Z0; \
	EXPCORE512

// SIGMOID512 sets Z0 = sigmoid(Z6), as SIGMOID does; clobbers K1.
#define SIGMOID512 \
	VORPS Z25, Z6, Z0; \
	VMAXPS Z0, Z14, Z0; \
	EXPCORE512; \
	VADDPS Z15, Z0, Z1; \
	VPMOVD2M Z6, K1; \
	VBLENDMPS Z0, Z15, K1, Z2; \
	VDIVPS Z1, Z2, Z0

// SILU512 sets Z0 = Z6*sigmoid(Z6), as SILU does; clobbers K1.
#define SILU512 \
	VORPS Z25, Z6, Z0; \
	VMAXPS Z0, Z14, Z0; \
	VMOVAPS Z0, Z7; \
	EXPCORE512; \
	VMULPS Z7, Z3, Z4; \
	VSCALEFPS Z2, Z4, Z4; \
	VADDPS Z15, Z0, Z1; \
	VPMOVD2M Z6, K1; \
	VBLENDMPS Z4, Z6, K1, Z2; \
	VDIVPS Z1, Z2, Z0

#define PROLOGUE512 \
	MOVQ dst+0(FP), DI; \
	MOVQ src+8(FP), SI; \
	MOVQ n+16(FP), CX; \
	VBROADCASTSS actConst<>+416(SB), Z12; \
	VBROADCASTSS actConst<>+384(SB), Z13; \
	VBROADCASTSS actConst<>+352(SB), Z14; \
	VBROADCASTSS actConst<>+320(SB), Z15; \
	VBROADCASTSS actConst<>+32(SB), Z16; \
	VBROADCASTSS actConst<>+64(SB), Z17; \
	VBROADCASTSS actConst<>+96(SB), Z18; \
	VBROADCASTSS actConst<>+128(SB), Z19; \
	VBROADCASTSS actConst<>+160(SB), Z20; \
	VBROADCASTSS actConst<>+192(SB), Z21; \
	VBROADCASTSS actConst<>+224(SB), Z22; \
	VBROADCASTSS actConst<>+256(SB), Z23; \
	VBROADCASTSS actConst<>+288(SB), Z24; \
	VBROADCASTSS actConst<>+0(SB), Z25

// func expAVX512(dst, src *float32, n int)
TEXT ·expAVX512(SB), NOSPLIT, $0-24
	PROLOGUE512
	MAP512(EXP512, NONE, NONE)
	VZEROUPPER
	RET

// EXPSHIFT512 sets Z0 = exp(Z6 - Z26), as EXP512 of the rounded
// difference; SUM512 and SUM512K add Z0 to the sum in Z27 (the tail's
// masked lanes left out).
#define EXPSHIFT512 \
	VSUBPS Z26, Z6, Z6; \
	EXP512
#define SUM512 VADDPS Z0, Z27, Z27
#define SUM512K VADDPS Z0, Z27, K2, Z27

// func expSumAVX512(dst, src *float32, n int, shift float32) float32
//
// dst[i] = exp(src[i] - shift), and the sum of them in Z27, reduced across
// the lanes at the end.
TEXT ·expSumAVX512(SB), NOSPLIT, $0-36
	PROLOGUE512
	VBROADCASTSS shift+24(FP), Z26
	VXORPS Z27, Z27, Z27
	MAP512(EXPSHIFT512, SUM512, SUM512K)
	REDUCE16(VADDPS, VADDSS, Z27, Y27)
	MOVSS X1, ret+32(FP)
	VZEROUPPER
	RET

// func rowMaxAVX512(src *float32, n int) float32
//
// The largest value of src[:n] that is not NaN (-Inf if none): VMAXPS
// returns its second source, the running maximum, when either is NaN.
// The tail merges into the maximum only its first n%16 lanes.
TEXT ·rowMaxAVX512(SB), NOSPLIT, $0-20
	MOVQ src+0(FP), SI
	MOVQ n+8(FP), CX
	MOVL $0xff800000, AX
	VPBROADCASTD AX, Z8
	VMOVAPS Z8, Z9
max32:
	CMPQ CX, $32
	JLT max16
	VMOVUPS (SI), Z6
	VMOVUPS 64(SI), Z7
	VMAXPS Z8, Z6, Z8
	VMAXPS Z9, Z7, Z9
	ADDQ $128, SI
	SUBQ $32, CX
	JMP max32
max16:
	CMPQ CX, $16
	JLT maxtail
	VMOVUPS (SI), Z6
	VMAXPS Z8, Z6, Z8
	ADDQ $64, SI
	SUBQ $16, CX
maxtail:
	TESTQ CX, CX
	JEQ maxdone
	TAILMASK16(K2)
	VMOVUPS.Z (SI), K2, Z6
	VMAXPS Z9, Z6, K2, Z9
maxdone:
	VMAXPS Z9, Z8, Z8
	REDUCE16(VMAXPS, VMAXSS, Z8, Y8)
	MOVSS X1, ret+16(FP)
	VZEROUPPER
	RET

// func sigmoidAVX512(dst, src *float32, n int)
TEXT ·sigmoidAVX512(SB), NOSPLIT, $0-24
	PROLOGUE512
	MAP512(SIGMOID512, NONE, NONE)
	VZEROUPPER
	RET

// func siluAVX512(dst, src *float32, n int)
TEXT ·siluAVX512(SB), NOSPLIT, $0-24
	PROLOGUE512
	MAP512(SILU512, NONE, NONE)
	VZEROUPPER
	RET

// Constants, 8 copies each: the sign bit, log2e, c1, c2, P's coefficients
// p0-p5, 1.0, the clamps -120 and 89, the magic 1.5*2^23, and the tail mask
// table (8 lanes of ones, 8 of zeros).
// 0: sign
DATA actConst<>+0(SB)/8, $0x8000000080000000
DATA actConst<>+8(SB)/8, $0x8000000080000000
DATA actConst<>+16(SB)/8, $0x8000000080000000
DATA actConst<>+24(SB)/8, $0x8000000080000000
// 32: log2e
DATA actConst<>+32(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA actConst<>+40(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA actConst<>+48(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA actConst<>+56(SB)/8, $0x3fb8aa3b3fb8aa3b
// 64: c1
DATA actConst<>+64(SB)/8, $0x3f3180003f318000
DATA actConst<>+72(SB)/8, $0x3f3180003f318000
DATA actConst<>+80(SB)/8, $0x3f3180003f318000
DATA actConst<>+88(SB)/8, $0x3f3180003f318000
// 96: c2
DATA actConst<>+96(SB)/8, $0xb95e8083b95e8083
DATA actConst<>+104(SB)/8, $0xb95e8083b95e8083
DATA actConst<>+112(SB)/8, $0xb95e8083b95e8083
DATA actConst<>+120(SB)/8, $0xb95e8083b95e8083
// 128: p0
DATA actConst<>+128(SB)/8, $0x3950696739506967
DATA actConst<>+136(SB)/8, $0x3950696739506967
DATA actConst<>+144(SB)/8, $0x3950696739506967
DATA actConst<>+152(SB)/8, $0x3950696739506967
// 160: p1
DATA actConst<>+160(SB)/8, $0x3ab743ce3ab743ce
DATA actConst<>+168(SB)/8, $0x3ab743ce3ab743ce
DATA actConst<>+176(SB)/8, $0x3ab743ce3ab743ce
DATA actConst<>+184(SB)/8, $0x3ab743ce3ab743ce
// 192: p2
DATA actConst<>+192(SB)/8, $0x3c0889083c088908
DATA actConst<>+200(SB)/8, $0x3c0889083c088908
DATA actConst<>+208(SB)/8, $0x3c0889083c088908
DATA actConst<>+216(SB)/8, $0x3c0889083c088908
// 224: p3
DATA actConst<>+224(SB)/8, $0x3d2aa9c13d2aa9c1
DATA actConst<>+232(SB)/8, $0x3d2aa9c13d2aa9c1
DATA actConst<>+240(SB)/8, $0x3d2aa9c13d2aa9c1
DATA actConst<>+248(SB)/8, $0x3d2aa9c13d2aa9c1
// 256: p4
DATA actConst<>+256(SB)/8, $0x3e2aaaaa3e2aaaaa
DATA actConst<>+264(SB)/8, $0x3e2aaaaa3e2aaaaa
DATA actConst<>+272(SB)/8, $0x3e2aaaaa3e2aaaaa
DATA actConst<>+280(SB)/8, $0x3e2aaaaa3e2aaaaa
// 288: p5
DATA actConst<>+288(SB)/8, $0x3f0000003f000000
DATA actConst<>+296(SB)/8, $0x3f0000003f000000
DATA actConst<>+304(SB)/8, $0x3f0000003f000000
DATA actConst<>+312(SB)/8, $0x3f0000003f000000
// 320: one
DATA actConst<>+320(SB)/8, $0x3f8000003f800000
DATA actConst<>+328(SB)/8, $0x3f8000003f800000
DATA actConst<>+336(SB)/8, $0x3f8000003f800000
DATA actConst<>+344(SB)/8, $0x3f8000003f800000
// 352: lo
DATA actConst<>+352(SB)/8, $0xc2f00000c2f00000
DATA actConst<>+360(SB)/8, $0xc2f00000c2f00000
DATA actConst<>+368(SB)/8, $0xc2f00000c2f00000
DATA actConst<>+376(SB)/8, $0xc2f00000c2f00000
// 384: hi
DATA actConst<>+384(SB)/8, $0x42b2000042b20000
DATA actConst<>+392(SB)/8, $0x42b2000042b20000
DATA actConst<>+400(SB)/8, $0x42b2000042b20000
DATA actConst<>+408(SB)/8, $0x42b2000042b20000
// 416: magic
DATA actConst<>+416(SB)/8, $0x4b4000004b400000
DATA actConst<>+424(SB)/8, $0x4b4000004b400000
DATA actConst<>+432(SB)/8, $0x4b4000004b400000
DATA actConst<>+440(SB)/8, $0x4b4000004b400000
// 448: ones
DATA actConst<>+448(SB)/8, $0xffffffffffffffff
DATA actConst<>+456(SB)/8, $0xffffffffffffffff
DATA actConst<>+464(SB)/8, $0xffffffffffffffff
DATA actConst<>+472(SB)/8, $0xffffffffffffffff
// 480: zeros
DATA actConst<>+480(SB)/8, $0x0000000000000000
DATA actConst<>+488(SB)/8, $0x0000000000000000
DATA actConst<>+496(SB)/8, $0x0000000000000000
DATA actConst<>+504(SB)/8, $0x0000000000000000
GLOBL actConst<>(SB), RODATA|NOPTR, $512
