//go:build amd64 && !purego

#include "textflag.h"

// FMA3(T, J, A, B, C) adds tap T's input values of three chunks, in
// Z24-Z26, times output channel J's weight (broadcast from R14 + 64*T +
// 4*J into Z29), into A, B and C.
#define FMA3(T, J, A, B, C) \
	VBROADCASTSS (64*T+4*J)(R14), Z29; \
	VFMADD231PS  Z29, Z24, A; \
	VFMADD231PS  Z29, Z25, B; \
	VFMADD231PS  Z29, Z26, C

// FMAS8(T) is FMA3 for each of the 8 output channels: into Z0-Z7 (the
// first chunk), Z8-Z15 and Z16-Z23.
#define FMAS8(T) \
	FMA3(T, 0, Z0, Z8, Z16); \
	FMA3(T, 1, Z1, Z9, Z17); \
	FMA3(T, 2, Z2, Z10, Z18); \
	FMA3(T, 3, Z3, Z11, Z19); \
	FMA3(T, 4, Z4, Z12, Z20); \
	FMA3(T, 5, Z5, Z13, Z21); \
	FMA3(T, 6, Z6, Z14, Z22); \
	FMA3(T, 7, Z7, Z15, Z23)

// EVEN(T, R, V, K) keeps the even values of V:Z27 in V, zeroed in the
// lanes that tap T does not read (its mask at 12+4*T in the record R
// bytes from R8).
#define EVEN(T, R, V, K) \
	KMOVW       (R+12+4*T)(R8), K; \
	VPERMT2PS.Z Z27, Z28, K, V

// FASTn(P, V, K, T, D, R) loads tap T's 32 values of the chunk whose
// record is R bytes from R8, D bytes into row n of its taps from P, as
// whole registers, and keeps the even ones in V; SLOWn under the loads'
// masks (at 48+4*T and 50+4*T in the record).
#define FAST0(P, V, K, T, D, R) \
	VMOVUPS D(P), V; \
	VMOVUPS (D+64)(P), Z27; \
	EVEN(T, R, V, K)

#define FAST1(P, V, K, T, D, R) \
	VMOVUPS D(P)(DX*1), V; \
	VMOVUPS (D+64)(P)(DX*1), Z27; \
	EVEN(T, R, V, K)

#define FAST2(P, V, K, T, D, R) \
	VMOVUPS D(P)(DX*2), V; \
	VMOVUPS (D+64)(P)(DX*2), Z27; \
	EVEN(T, R, V, K)

#define SLOW0(P, V, K, T, D, R) \
	KMOVW     (R+48+4*T)(R8), K4; \
	KMOVW     (R+50+4*T)(R8), K5; \
	VMOVUPS.Z D(P), K4, V; \
	VMOVUPS.Z (D+64)(P), K5, Z27; \
	EVEN(T, R, V, K)

#define SLOW1(P, V, K, T, D, R) \
	KMOVW     (R+48+4*T)(R8), K4; \
	KMOVW     (R+50+4*T)(R8), K5; \
	VMOVUPS.Z D(P)(DX*1), K4, V; \
	VMOVUPS.Z (D+64)(P)(DX*1), K5, Z27; \
	EVEN(T, R, V, K)

#define SLOW2(P, V, K, T, D, R) \
	KMOVW     (R+48+4*T)(R8), K4; \
	KMOVW     (R+50+4*T)(R8), K5; \
	VMOVUPS.Z D(P)(DX*2), K4, V; \
	VMOVUPS.Z (D+64)(P)(DX*2), K5, Z27; \
	EVEN(T, R, V, K)

// TAP(L, T, D) is tap T of the three chunks (inputs from R11, R15 and AX,
// records at R8, R8+96, R8+192) through the loads L (FAST0 .. SLOW2).
#define TAP(L, T, D) \
	L(R11, Z24, K1, T, D, 0); \
	L(R15, Z25, K2, T, D, 96); \
	L(AX, Z26, K3, T, D, 192); \
	FMAS8(T)

// CHANNEL(L0, L1, L2) is the nine taps of one input channel, rows 0, 1
// and 2 of the kernel through the loads L0, L1 and L2, and the step to the
// next channel's input and weights.
#define CHANNEL(L0, L1, L2) \
	TAP(L0, 0, 0); \
	TAP(L0, 1, 4); \
	TAP(L0, 2, 8); \
	TAP(L1, 3, 0); \
	TAP(L1, 4, 4); \
	TAP(L1, 5, 8); \
	TAP(L2, 6, 0); \
	TAP(L2, 7, 4); \
	TAP(L2, 8, 8); \
	ADDQ R12, R11; \
	ADDQ R12, R15; \
	ADDQ R12, AX; \
	ADDQ $576, R14

// STORE(Z) clamps Z to [Z30, Z31], stores it under K1 at R11 and moves R11
// to the next output channel; STORE_LAST stays.
#define STORE_LAST(Z) \
	VMAXPS  Z30, Z, Z; \
	VMINPS  Z31, Z, Z; \
	VMOVUPS Z, K1, (R11)

#define STORE(Z) \
	STORE_LAST(Z); \
	ADDQ    R13, R11

// STORE8(R, Z0, ..., Z7) stores the 8 channels of the chunk whose record
// is R bytes from R8.
#define STORE8(R, A0, A1, A2, A3, A4, A5, A6, A7) \
	MOVLQSX R(R8), R11; \
	LEAQ    (DI)(R11*4), R11; \
	KMOVW   (R+8)(R8), K1; \
	STORE(A0); \
	STORE(A1); \
	STORE(A2); \
	STORE(A3); \
	STORE(A4); \
	STORE(A5); \
	STORE(A6); \
	STORE_LAST(A7)

// INPUT(R, P) sets P to the input of the chunk whose record is R bytes
// from R8, at tap (0, 0) of its lane 0.
#define INPUT(R, P) \
	MOVLQSX (R+4)(R8), P; \
	LEAQ    (SI)(P*4), P

// func conv3x3s2AVX512(dst, src *float32, recs *int32, ngroups int, w, bias *float32, mblocks, c, rowBytes, inBytes, outBytes, highB int, lo, hi float32)
//
// A dense 3x3 stride-2 convolution of few input channels (see
// convdirect.go), three chunks of up to 16 output pixels at a time (the
// depthwise stride-2 records, in groups of three: ngroups) and, for each
// group, 8 output channels at a time (two halves of each of the mblocks
// blocks of 16; the group's input stays in L1 from one half to the next:
// 264-280 µs at SqueezeNet's 3->64 @224 on one core of a Zen 5, against
// 300-321 with each half's groups in turn), their 24 sums in Z0-Z23,
// started from their biases; for each input channel and
// tap the three chunks' 16 input values, each loaded as two registers of 32
// and their even values kept (VPERMT2PS with convEven in Z28, zeroing the
// lanes that read the padding), then 24 FMAs, each of the 8 channels'
// weights broadcast once for the three chunks (w holds, per block of 16,
// input channel and tap, the 16 channels' weights: the second half's 8 are
// 32 bytes on). Each sum takes the same FMAs in the same order as a chunk
// of 16 channels alone would. A group whose loads all lie in src (every
// chunk's first load at offset 0 or more, at most highB) loads whole
// registers, the others under the loads' masks. The sums are clamped and
// stored under each chunk's mask, outBytes apart.
TEXT ·conv3x3s2AVX512(SB), NOSPLIT, $8-104
	MOVQ         src+8(FP), SI
	MOVQ         recs+16(FP), R8
	MOVQ         rowBytes+64(FP), DX
	MOVQ         inBytes+72(FP), R12
	MOVQ         outBytes+80(FP), R13
	VBROADCASTSS lo+96(FP), Z30
	VBROADCASTSS hi+100(FP), Z31
	VMOVDQU32    convEven<>(SB), Z28
	MOVQ         ngroups+24(FP), CX
	TESTQ        CX, CX
	JEQ          cdone
	CMPQ         mblocks+48(FP), $0
	JEQ          cdone

cgroup:
	MOVQ dst+0(FP), DI
	MOVQ w+32(FP), R9
	MOVQ bias+40(FP), BX
	MOVQ mblocks+48(FP), AX
	SHLQ $1, AX
	MOVQ AX, halves-8(SP)

chalf:
	VBROADCASTSS 0(BX), Z0
	VBROADCASTSS 4(BX), Z1
	VBROADCASTSS 8(BX), Z2
	VBROADCASTSS 12(BX), Z3
	VBROADCASTSS 16(BX), Z4
	VBROADCASTSS 20(BX), Z5
	VBROADCASTSS 24(BX), Z6
	VBROADCASTSS 28(BX), Z7
	VMOVAPS      Z0, Z8
	VMOVAPS      Z1, Z9
	VMOVAPS      Z2, Z10
	VMOVAPS      Z3, Z11
	VMOVAPS      Z4, Z12
	VMOVAPS      Z5, Z13
	VMOVAPS      Z6, Z14
	VMOVAPS      Z7, Z15
	VMOVAPS      Z0, Z16
	VMOVAPS      Z1, Z17
	VMOVAPS      Z2, Z18
	VMOVAPS      Z3, Z19
	VMOVAPS      Z4, Z20
	VMOVAPS      Z5, Z21
	VMOVAPS      Z6, Z22
	VMOVAPS      Z7, Z23
	MOVQ         R9, R14
	MOVQ         c+56(FP), R10
	MOVLQSX      4(R8), AX
	CMPQ         AX, $0
	JLT          cslowin
	CMPQ         AX, highB+88(FP)
	JGT          cslowin
	MOVLQSX      100(R8), AX
	CMPQ         AX, $0
	JLT          cslowin
	CMPQ         AX, highB+88(FP)
	JGT          cslowin
	MOVLQSX      196(R8), AX
	CMPQ         AX, $0
	JLT          cslowin
	CMPQ         AX, highB+88(FP)
	JGT          cslowin
	INPUT(0, R11)
	INPUT(96, R15)
	INPUT(192, AX)

cfast:
	CHANNEL(FAST0, FAST1, FAST2)
	DECQ R10
	JNE  cfast
	JMP  cstore

cslowin:
	INPUT(0, R11)
	INPUT(96, R15)
	INPUT(192, AX)

cslow:
	CHANNEL(SLOW0, SLOW1, SLOW2)
	DECQ R10
	JNE  cslow

cstore:
	STORE8(0, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	STORE8(96, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)
	STORE8(192, Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23)

	// The next half: 8 channels on in the output and the bias; its
	// weights 32 bytes on (after a first half) or at the next block's
	// (after a second half: c*576 bytes past the first half's).
	ADDQ  $32, BX
	MOVQ  R13, AX
	SHLQ  $3, AX
	ADDQ  AX, DI
	DECQ  halves-8(SP)
	JEQ   cgroupend
	TESTQ $1, halves-8(SP)
	JEQ   csecond
	ADDQ  $32, R9
	JMP   chalf

csecond:
	MOVQ   c+56(FP), AX
	IMUL3Q $576, AX, AX
	LEAQ   -32(R9)(AX*1), R9
	JMP    chalf

cgroupend:
	ADDQ $288, R8
	DECQ CX
	JNE  cgroup

cdone:
	VZEROUPPER
	RET
DATA convEven<>+0(SB)/4, $0
DATA convEven<>+4(SB)/4, $2
DATA convEven<>+8(SB)/4, $4
DATA convEven<>+12(SB)/4, $6
DATA convEven<>+16(SB)/4, $8
DATA convEven<>+20(SB)/4, $10
DATA convEven<>+24(SB)/4, $12
DATA convEven<>+28(SB)/4, $14
DATA convEven<>+32(SB)/4, $16
DATA convEven<>+36(SB)/4, $18
DATA convEven<>+40(SB)/4, $20
DATA convEven<>+44(SB)/4, $22
DATA convEven<>+48(SB)/4, $24
DATA convEven<>+52(SB)/4, $26
DATA convEven<>+56(SB)/4, $28
DATA convEven<>+60(SB)/4, $30
GLOBL convEven<>(SB), RODATA|NOPTR, $64
