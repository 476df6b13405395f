//go:build !purego

#include "textflag.h"

// Four-lane float32 constants for sigmoid4, in the order of expf's steps.
// sign
DATA sigmoidConst<>+0(SB)/4, $0x80000000
DATA sigmoidConst<>+4(SB)/4, $0x80000000
DATA sigmoidConst<>+8(SB)/4, $0x80000000
DATA sigmoidConst<>+12(SB)/4, $0x80000000
// lo
DATA sigmoidConst<>+16(SB)/4, $0xc2ae0000
DATA sigmoidConst<>+20(SB)/4, $0xc2ae0000
DATA sigmoidConst<>+24(SB)/4, $0xc2ae0000
DATA sigmoidConst<>+28(SB)/4, $0xc2ae0000
// hi
DATA sigmoidConst<>+32(SB)/4, $0x42b00000
DATA sigmoidConst<>+36(SB)/4, $0x42b00000
DATA sigmoidConst<>+40(SB)/4, $0x42b00000
DATA sigmoidConst<>+44(SB)/4, $0x42b00000
// log2e
DATA sigmoidConst<>+48(SB)/4, $0x3fb8aa3b
DATA sigmoidConst<>+52(SB)/4, $0x3fb8aa3b
DATA sigmoidConst<>+56(SB)/4, $0x3fb8aa3b
DATA sigmoidConst<>+60(SB)/4, $0x3fb8aa3b
// bias
DATA sigmoidConst<>+64(SB)/4, $0x43804000
DATA sigmoidConst<>+68(SB)/4, $0x43804000
DATA sigmoidConst<>+72(SB)/4, $0x43804000
DATA sigmoidConst<>+76(SB)/4, $0x43804000
// c1
DATA sigmoidConst<>+80(SB)/4, $0x3f318000
DATA sigmoidConst<>+84(SB)/4, $0x3f318000
DATA sigmoidConst<>+88(SB)/4, $0x3f318000
DATA sigmoidConst<>+92(SB)/4, $0x3f318000
// c2
DATA sigmoidConst<>+96(SB)/4, $0xb95e8083
DATA sigmoidConst<>+100(SB)/4, $0xb95e8083
DATA sigmoidConst<>+104(SB)/4, $0xb95e8083
DATA sigmoidConst<>+108(SB)/4, $0xb95e8083
// p0
DATA sigmoidConst<>+112(SB)/4, $0x39506967
DATA sigmoidConst<>+116(SB)/4, $0x39506967
DATA sigmoidConst<>+120(SB)/4, $0x39506967
DATA sigmoidConst<>+124(SB)/4, $0x39506967
// p1
DATA sigmoidConst<>+128(SB)/4, $0x3ab743ce
DATA sigmoidConst<>+132(SB)/4, $0x3ab743ce
DATA sigmoidConst<>+136(SB)/4, $0x3ab743ce
DATA sigmoidConst<>+140(SB)/4, $0x3ab743ce
// p2
DATA sigmoidConst<>+144(SB)/4, $0x3c088908
DATA sigmoidConst<>+148(SB)/4, $0x3c088908
DATA sigmoidConst<>+152(SB)/4, $0x3c088908
DATA sigmoidConst<>+156(SB)/4, $0x3c088908
// p3
DATA sigmoidConst<>+160(SB)/4, $0x3d2aa9c1
DATA sigmoidConst<>+164(SB)/4, $0x3d2aa9c1
DATA sigmoidConst<>+168(SB)/4, $0x3d2aa9c1
DATA sigmoidConst<>+172(SB)/4, $0x3d2aa9c1
// p4
DATA sigmoidConst<>+176(SB)/4, $0x3e2aaaaa
DATA sigmoidConst<>+180(SB)/4, $0x3e2aaaaa
DATA sigmoidConst<>+184(SB)/4, $0x3e2aaaaa
DATA sigmoidConst<>+188(SB)/4, $0x3e2aaaaa
// p5
DATA sigmoidConst<>+192(SB)/4, $0x3f000000
DATA sigmoidConst<>+196(SB)/4, $0x3f000000
DATA sigmoidConst<>+200(SB)/4, $0x3f000000
DATA sigmoidConst<>+204(SB)/4, $0x3f000000
// one
DATA sigmoidConst<>+208(SB)/4, $0x3f800000
DATA sigmoidConst<>+212(SB)/4, $0x3f800000
DATA sigmoidConst<>+216(SB)/4, $0x3f800000
DATA sigmoidConst<>+220(SB)/4, $0x3f800000
// i256
DATA sigmoidConst<>+224(SB)/4, $0x00000100
DATA sigmoidConst<>+228(SB)/4, $0x00000100
DATA sigmoidConst<>+232(SB)/4, $0x00000100
DATA sigmoidConst<>+236(SB)/4, $0x00000100
// i129
DATA sigmoidConst<>+240(SB)/4, $0x00000081
DATA sigmoidConst<>+244(SB)/4, $0x00000081
DATA sigmoidConst<>+248(SB)/4, $0x00000081
DATA sigmoidConst<>+252(SB)/4, $0x00000081
GLOBL sigmoidConst<>(SB), RODATA|NOPTR, $256

// func sigmoid4(dst, src []float32)
// dst[i] = 1/(1+exp(-src[i])) for i < len(dst) &^ 3, four at a time: the
// SSE form of sigmoidSlice (same range reduction and polynomial). -x is
// clamped to [-87, 88] first, which keeps 2^n a normal float; the clamps
// take x as their second operand so that a NaN passes through.
TEXT ·sigmoid4(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	SHRQ $2, CX
	JEQ  done
	MOVUPS sigmoidConst<>+48(SB), X8
	MOVUPS sigmoidConst<>+64(SB), X9
	MOVUPS sigmoidConst<>+80(SB), X10
	MOVUPS sigmoidConst<>+96(SB), X11
	MOVUPS sigmoidConst<>+208(SB), X12
	MOVUPS sigmoidConst<>+112(SB), X13
	MOVUPS sigmoidConst<>+16(SB), X14
	MOVUPS sigmoidConst<>+32(SB), X15

loop:
	MOVUPS (SI), X0
	MOVUPS sigmoidConst<>+0(SB), X7
	XORPS  X7, X0 // x = -v
	MOVAPS X14, X1
	MAXPS  X0, X1 // max(lo, x), NaN -> x
	MOVAPS X15, X0
	MINPS  X1, X0 // min(hi, .), NaN -> x

	MOVAPS    X0, X1
	MULPS     X8, X1
	ADDPS     X9, X1 // x*log2e + 256.5 > 0
	CVTTPS2PL X1, X2 // i = floor(x*log2e + 0.5) + 256
	MOVAPS    X2, X3
	MOVUPS    sigmoidConst<>+224(SB), X7
	PSUBL     X7, X3
	CVTPL2PS  X3, X4 // n
	MOVAPS    X4, X5
	MULPS     X10, X5
	SUBPS     X5, X0 // r = x - n*c1
	MULPS     X11, X4
	SUBPS     X4, X0 // r -= n*c2

	MOVAPS X13, X1 // p = p0
	MULPS  X0, X1
	MOVUPS sigmoidConst<>+128(SB), X7
	ADDPS  X7, X1
	MULPS  X0, X1
	MOVUPS sigmoidConst<>+144(SB), X7
	ADDPS  X7, X1
	MULPS  X0, X1
	MOVUPS sigmoidConst<>+160(SB), X7
	ADDPS  X7, X1
	MULPS  X0, X1
	MOVUPS sigmoidConst<>+176(SB), X7
	ADDPS  X7, X1
	MULPS  X0, X1
	MOVUPS sigmoidConst<>+192(SB), X7
	ADDPS  X7, X1
	MULPS  X0, X1
	MULPS  X0, X1
	ADDPS  X0, X1
	ADDPS  X12, X1 // p*r*r + r + 1 = exp(r)

	MOVUPS sigmoidConst<>+240(SB), X7
	PSUBL  X7, X2
	PSLLL  $23, X2 // 2^n: exponent bits n+127 = i-129
	MULPS  X2, X1  // exp(x)
	ADDPS  X12, X1
	MOVAPS X12, X3
	DIVPS  X1, X3  // 1/(1+exp(-v))
	MOVUPS X3, (DI)

	ADDQ $16, SI
	ADDQ $16, DI
	DECQ CX
	JNE  loop

done:
	RET
