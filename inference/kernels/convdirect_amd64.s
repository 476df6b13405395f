//go:build amd64 && !purego

#include "textflag.h"

// TAP_FMAS(T) adds the 16 input values of tap T in Z16, times each of the
// 16 output channels' weights (broadcast from R14 + 64*T), into Z0-Z15.
#define TAP_FMAS(T) \
	VFMADD231PS.BCST (64*T+0)(R14), Z16, Z0; \
	VFMADD231PS.BCST (64*T+4)(R14), Z16, Z1; \
	VFMADD231PS.BCST (64*T+8)(R14), Z16, Z2; \
	VFMADD231PS.BCST (64*T+12)(R14), Z16, Z3; \
	VFMADD231PS.BCST (64*T+16)(R14), Z16, Z4; \
	VFMADD231PS.BCST (64*T+20)(R14), Z16, Z5; \
	VFMADD231PS.BCST (64*T+24)(R14), Z16, Z6; \
	VFMADD231PS.BCST (64*T+28)(R14), Z16, Z7; \
	VFMADD231PS.BCST (64*T+32)(R14), Z16, Z8; \
	VFMADD231PS.BCST (64*T+36)(R14), Z16, Z9; \
	VFMADD231PS.BCST (64*T+40)(R14), Z16, Z10; \
	VFMADD231PS.BCST (64*T+44)(R14), Z16, Z11; \
	VFMADD231PS.BCST (64*T+48)(R14), Z16, Z12; \
	VFMADD231PS.BCST (64*T+52)(R14), Z16, Z13; \
	VFMADD231PS.BCST (64*T+56)(R14), Z16, Z14; \
	VFMADD231PS.BCST (64*T+60)(R14), Z16, Z15

// TAP_EVEN(T) keeps the even values of Z16:Z17 in Z16, zeroed in the lanes
// that tap T does not read (its mask at 12+4*T in the record at R8).
#define TAP_EVEN(T) \
	KMOVW       (12+4*T)(R8), K1; \
	VPERMT2PS.Z Z17, Z18, K1, Z16; \
	TAP_FMAS(T)

// FASTn(T, D) loads tap T's 32 values, D bytes into row n of the taps from
// R11, as whole registers; SLOWn under the loads' masks (at 48+4*T and
// 50+4*T in the record).
#define FAST0(T, D) \
	VMOVUPS D(R11), Z16; \
	VMOVUPS (D+64)(R11), Z17; \
	TAP_EVEN(T)

#define SLOW0(T, D) \
	KMOVW     (48+4*T)(R8), K4; \
	KMOVW     (50+4*T)(R8), K5; \
	VMOVUPS.Z D(R11), K4, Z16; \
	VMOVUPS.Z (D+64)(R11), K5, Z17; \
	TAP_EVEN(T)

#define FAST1(T, D) \
	VMOVUPS D(R11)(DX*1), Z16; \
	VMOVUPS (D+64)(R11)(DX*1), Z17; \
	TAP_EVEN(T)

#define SLOW1(T, D) \
	KMOVW     (48+4*T)(R8), K4; \
	KMOVW     (50+4*T)(R8), K5; \
	VMOVUPS.Z D(R11)(DX*1), K4, Z16; \
	VMOVUPS.Z (D+64)(R11)(DX*1), K5, Z17; \
	TAP_EVEN(T)

#define FAST2(T, D) \
	VMOVUPS D(R11)(DX*2), Z16; \
	VMOVUPS (D+64)(R11)(DX*2), Z17; \
	TAP_EVEN(T)

#define SLOW2(T, D) \
	KMOVW     (48+4*T)(R8), K4; \
	KMOVW     (50+4*T)(R8), K5; \
	VMOVUPS.Z D(R11)(DX*2), K4, Z16; \
	VMOVUPS.Z (D+64)(R11)(DX*2), K5, Z17; \
	TAP_EVEN(T)

// STORE(Z) clamps Z to [Z19, Z20], stores it under K1 at R11 and moves R11
// to the next output channel; STORE_LAST stays.
#define STORE_LAST(Z) \
	VMAXPS  Z19, Z, Z; \
	VMINPS  Z20, Z, Z; \
	VMOVUPS Z, K1, (R11)

#define STORE(Z) \
	STORE_LAST(Z); \
	ADDQ    R13, R11

// func conv3x3s2AVX512(dst, src *float32, recs *int32, nrec int, w, bias *float32, mblocks, c, rowBytes, inBytes, outBytes, highB int, lo, hi float32)
//
// A dense 3x3 stride-2 convolution of few input channels (see
// convdirect.go), 16 output channels at a time (mblocks blocks): for each
// chunk of up to 16 output pixels (the depthwise stride-2 records), the 16
// channels' sums in Z0-Z15, started from their biases; for each input
// channel and tap the 16 input values, loaded as two registers of 32 and
// their even values kept (VPERMT2PS with convEven in Z18, zeroing the lanes
// that read the padding), then 16 FMAs with the weights broadcast from
// memory (w holds, per block, input channel and tap, the 16 channels'
// weights). A chunk whose loads all lie in src (its first load at offset
// 0 or more, at most highB) loads whole registers, the others under the
// loads' masks. The sums are clamped and stored under the chunk's mask,
// outBytes apart. The 16 output lines of the chunk two records on are
// prefetched first: the output (3 MB at SqueezeNet's 64x111x111) is
// usually cold, and 16 planes written at once are more streams than the
// hardware prefetchers follow.
TEXT ·conv3x3s2AVX512(SB), NOSPLIT, $0-104
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         w+32(FP), R9
	MOVQ         bias+40(FP), BX
	MOVQ         rowBytes+64(FP), DX
	MOVQ         inBytes+72(FP), R12
	MOVQ         outBytes+80(FP), R13
	VBROADCASTSS lo+96(FP), Z19
	VBROADCASTSS hi+100(FP), Z20
	VMOVDQU32    convEven<>(SB), Z18
	CMPQ         mblocks+48(FP), $0
	JEQ          cdone

cblock:
	MOVQ         recs+16(FP), R8
	MOVQ         nrec+24(FP), CX
	TESTQ        CX, CX
	JEQ          cnext

cchunk:
	CMPQ    CX, $2
	JLE     cnopf
	MOVLQSX 192(R8), AX
	LEAQ    (DI)(AX*4), R15
	PREFETCHT0 (R15)
	ADDQ    R13, R15
	PREFETCHT0 (R15)
	ADDQ    R13, R15
	PREFETCHT0 (R15)
	ADDQ    R13, R15
	PREFETCHT0 (R15)
	ADDQ    R13, R15
	PREFETCHT0 (R15)
	ADDQ    R13, R15
	PREFETCHT0 (R15)
	ADDQ    R13, R15
	PREFETCHT0 (R15)
	ADDQ    R13, R15
	PREFETCHT0 (R15)
	ADDQ    R13, R15
	PREFETCHT0 (R15)
	ADDQ    R13, R15
	PREFETCHT0 (R15)
	ADDQ    R13, R15
	PREFETCHT0 (R15)
	ADDQ    R13, R15
	PREFETCHT0 (R15)
	ADDQ    R13, R15
	PREFETCHT0 (R15)
	ADDQ    R13, R15
	PREFETCHT0 (R15)
	ADDQ    R13, R15
	PREFETCHT0 (R15)
	ADDQ    R13, R15
	PREFETCHT0 (R15)
	ADDQ    R13, R15

cnopf:
	VBROADCASTSS 0(BX), Z0
	VBROADCASTSS 4(BX), Z1
	VBROADCASTSS 8(BX), Z2
	VBROADCASTSS 12(BX), Z3
	VBROADCASTSS 16(BX), Z4
	VBROADCASTSS 20(BX), Z5
	VBROADCASTSS 24(BX), Z6
	VBROADCASTSS 28(BX), Z7
	VBROADCASTSS 32(BX), Z8
	VBROADCASTSS 36(BX), Z9
	VBROADCASTSS 40(BX), Z10
	VBROADCASTSS 44(BX), Z11
	VBROADCASTSS 48(BX), Z12
	VBROADCASTSS 52(BX), Z13
	VBROADCASTSS 56(BX), Z14
	VBROADCASTSS 60(BX), Z15
	MOVLQSX 4(R8), AX
	LEAQ    (SI)(AX*4), R11
	MOVQ    R9, R14
	MOVQ    c+56(FP), R10
	CMPQ    AX, $0
	JLT     cslow
	CMPQ    AX, highB+88(FP)
	JGT     cslow

cfast:
	FAST0(0, 0)
	FAST0(1, 4)
	FAST0(2, 8)
	FAST1(3, 0)
	FAST1(4, 4)
	FAST1(5, 8)
	FAST2(6, 0)
	FAST2(7, 4)
	FAST2(8, 8)
	ADDQ    R12, R11
	ADDQ    $576, R14
	DECQ    R10
	JNE     cfast
	JMP     cstore

cslow:
	SLOW0(0, 0)
	SLOW0(1, 4)
	SLOW0(2, 8)
	SLOW1(3, 0)
	SLOW1(4, 4)
	SLOW1(5, 8)
	SLOW2(6, 0)
	SLOW2(7, 4)
	SLOW2(8, 8)
	ADDQ    R12, R11
	ADDQ    $576, R14
	DECQ    R10
	JNE     cslow

cstore:
	MOVLQSX 0(R8), AX
	LEAQ    (DI)(AX*4), R11
	KMOVW   8(R8), K1
	STORE(Z0)
	STORE(Z1)
	STORE(Z2)
	STORE(Z3)
	STORE(Z4)
	STORE(Z5)
	STORE(Z6)
	STORE(Z7)
	STORE(Z8)
	STORE(Z9)
	STORE(Z10)
	STORE(Z11)
	STORE(Z12)
	STORE(Z13)
	STORE(Z14)
	STORE_LAST(Z15)
	ADDQ    $96, R8
	DECQ    CX
	JNE     cchunk

cnext:
	MOVQ R14, R9
	ADDQ $64, BX
	MOVQ R13, AX
	SHLQ $4, AX
	ADDQ AX, DI
	DECQ mblocks+48(FP)
	JNE  cblock

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
