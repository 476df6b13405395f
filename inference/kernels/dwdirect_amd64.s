//go:build amd64 && !purego

#include "textflag.h"

// The direct depthwise 3x3 kernels (see dwdirect.go): nch channels, each
// chunk by chunk through the records, its nine weights broadcast into
// Z16-Z24 and its bias into Z12, the input's row length in bytes in DX, a
// channel's input size in bytes in R12. A chunk is the bias plus nine FMAs
// in tap order, each merge-masked to the lanes whose tap reads the input,
// clamped, and stored under its mask; it prefetches the same place of the
// next channel. A chunk whose loads all lie in src[lowB : highB+span] of
// the current channel (span: dwSpan) loads whole registers; the others
// (the first and last rows of the first and last channels) load under the
// taps' masks, so that they read nothing outside the input (masked-off
// lanes read no memory). Masked loads are kept to those: on Zen 5 one whose
// masked-off part falls on another page costs hundreds of cycles.

// func dw3x3s1AVX512(dst, src *float32, recs *int32, nrec int, w, bias *float32, nch, rowBytes, inBytes, outBytes, lowB, highB int, lo, hi float32)
//
// Stride 1, records of 48 bytes: each row of taps loads the 32 values from
// the chunk's start in two registers, the taps of columns 1 and 2 shift
// theirs out of them (VALIGND): two loads a row instead of one a tap. The
// masked loads of the slow path read each tap's 16 values.
TEXT ·dw3x3s1AVX512(SB), NOSPLIT, $0-104
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         w+32(FP), R9
	MOVQ         bias+40(FP), BX
	MOVQ         rowBytes+56(FP), DX
	MOVQ         inBytes+64(FP), R12
	MOVQ         lowB+80(FP), R10
	MOVQ         highB+88(FP), R11
	VBROADCASTSS lo+96(FP), Z13
	VBROADCASTSS hi+100(FP), Z14
	CMPQ         nch+48(FP), $0
	JEQ          s1done

s1chan:
	VBROADCASTSS 0(R9), Z16
	VBROADCASTSS 4(R9), Z17
	VBROADCASTSS 8(R9), Z18
	VBROADCASTSS 12(R9), Z19
	VBROADCASTSS 16(R9), Z20
	VBROADCASTSS 20(R9), Z21
	VBROADCASTSS 24(R9), Z22
	VBROADCASTSS 28(R9), Z23
	VBROADCASTSS 32(R9), Z24
	VBROADCASTSS (BX), Z12
	MOVQ         recs+16(FP), R8
	MOVQ         nrec+24(FP), CX
	TESTQ        CX, CX
	JEQ          s1next

s1chunk:
	VMOVAPS Z12, Z0
	MOVLQSX 4(R8), AX
	CMPQ    AX, R10
	JLT     s1slow
	CMPQ    AX, R11
	JGT     s1slow
	LEAQ    (SI)(AX*4), AX
	PREFETCHT0 (AX)(R12*1)
	VMOVUPS     0(AX), Z1
	VMOVUPS     64(AX), Z2
	KMOVW       12(R8), K1
	VFMADD231PS Z1, Z16, K1, Z0
	VALIGND     $1, Z1, Z2, Z3
	KMOVW       16(R8), K2
	VFMADD231PS Z3, Z17, K2, Z0
	VALIGND     $2, Z1, Z2, Z4
	KMOVW       20(R8), K3
	VFMADD231PS Z4, Z18, K3, Z0
	VMOVUPS     0(AX)(DX*1), Z1
	VMOVUPS     64(AX)(DX*1), Z2
	KMOVW       24(R8), K4
	VFMADD231PS Z1, Z19, K4, Z0
	VALIGND     $1, Z1, Z2, Z3
	KMOVW       28(R8), K5
	VFMADD231PS Z3, Z20, K5, Z0
	VALIGND     $2, Z1, Z2, Z4
	KMOVW       32(R8), K6
	VFMADD231PS Z4, Z21, K6, Z0
	VMOVUPS     0(AX)(DX*2), Z1
	VMOVUPS     64(AX)(DX*2), Z2
	KMOVW       36(R8), K7
	VFMADD231PS Z1, Z22, K7, Z0
	VALIGND     $1, Z1, Z2, Z3
	KMOVW       40(R8), K1
	VFMADD231PS Z3, Z23, K1, Z0
	VALIGND     $2, Z1, Z2, Z4
	KMOVW       44(R8), K2
	VFMADD231PS Z4, Z24, K2, Z0
	JMP     s1store

s1slow:
	LEAQ    (SI)(AX*4), AX
	KMOVW       12(R8), K1
	VMOVUPS.Z   0(AX), K1, Z1
	VFMADD231PS Z1, Z16, K1, Z0
	KMOVW       16(R8), K2
	VMOVUPS.Z   4(AX), K2, Z1
	VFMADD231PS Z1, Z17, K2, Z0
	KMOVW       20(R8), K3
	VMOVUPS.Z   8(AX), K3, Z1
	VFMADD231PS Z1, Z18, K3, Z0
	KMOVW       24(R8), K4
	VMOVUPS.Z   0(AX)(DX*1), K4, Z1
	VFMADD231PS Z1, Z19, K4, Z0
	KMOVW       28(R8), K5
	VMOVUPS.Z   4(AX)(DX*1), K5, Z1
	VFMADD231PS Z1, Z20, K5, Z0
	KMOVW       32(R8), K6
	VMOVUPS.Z   8(AX)(DX*1), K6, Z1
	VFMADD231PS Z1, Z21, K6, Z0
	KMOVW       36(R8), K7
	VMOVUPS.Z   0(AX)(DX*2), K7, Z1
	VFMADD231PS Z1, Z22, K7, Z0
	KMOVW       40(R8), K1
	VMOVUPS.Z   4(AX)(DX*2), K1, Z1
	VFMADD231PS Z1, Z23, K1, Z0
	KMOVW       44(R8), K2
	VMOVUPS.Z   8(AX)(DX*2), K2, Z1
	VFMADD231PS Z1, Z24, K2, Z0

s1store:
	VMAXPS  Z13, Z0, Z0
	VMINPS  Z14, Z0, Z0
	MOVLQSX 0(R8), AX
	KMOVW   8(R8), K1
	VMOVUPS Z0, K1, (DI)(AX*4)
	ADDQ    $48, R8
	DECQ    CX
	JNE     s1chunk

s1next:
	ADDQ $36, R9
	ADDQ $4, BX
	ADDQ R12, SI
	ADDQ outBytes+72(FP), DI
	MOVQ R12, AX
	SHRQ $2, AX
	SUBQ AX, R10
	SUBQ AX, R11
	DECQ nch+48(FP)
	JNE  s1chan

s1done:
	VZEROUPPER
	RET

// func dw3x3s2AVX512(dst, src *float32, recs *int32, nrec int, w, bias *float32, nch, rowBytes, inBytes, outBytes, lowB, highB int, lo, hi float32)
//
// Stride 2, records of 96 bytes (the lanes' masks, then the loads' masks
// from byte 48): each tap loads the 32 values from its first one and keeps
// the even ones (VPERMT2PS with the indices dwEven in Z15).
TEXT ·dw3x3s2AVX512(SB), NOSPLIT, $0-104
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         w+32(FP), R9
	MOVQ         bias+40(FP), BX
	MOVQ         rowBytes+56(FP), DX
	MOVQ         inBytes+64(FP), R12
	MOVQ         lowB+80(FP), R10
	MOVQ         highB+88(FP), R11
	VBROADCASTSS lo+96(FP), Z13
	VBROADCASTSS hi+100(FP), Z14
	VMOVDQU32    dwEven<>(SB), Z15
	CMPQ         nch+48(FP), $0
	JEQ          s2done

s2chan:
	VBROADCASTSS 0(R9), Z16
	VBROADCASTSS 4(R9), Z17
	VBROADCASTSS 8(R9), Z18
	VBROADCASTSS 12(R9), Z19
	VBROADCASTSS 16(R9), Z20
	VBROADCASTSS 20(R9), Z21
	VBROADCASTSS 24(R9), Z22
	VBROADCASTSS 28(R9), Z23
	VBROADCASTSS 32(R9), Z24
	VBROADCASTSS (BX), Z12
	MOVQ         recs+16(FP), R8
	MOVQ         nrec+24(FP), CX
	TESTQ        CX, CX
	JEQ          s2next

s2chunk:
	VMOVAPS Z12, Z0
	MOVLQSX 4(R8), AX
	CMPQ    AX, R10
	JLT     s2slow
	CMPQ    AX, R11
	JGT     s2slow
	LEAQ    (SI)(AX*4), AX
	PREFETCHT0 (AX)(R12*1)
	PREFETCHT0 64(AX)(R12*1)
	LEAQ       (AX)(DX*1), R13
	PREFETCHT0 (R13)(R12*1)
	PREFETCHT0 64(R13)(R12*1)
	KMOVW       12(R8), K1
	VMOVUPS     0(AX), Z2
	VMOVUPS     64(AX), Z3
	VPERMT2PS   Z3, Z15, Z2
	VFMADD231PS Z2, Z16, K1, Z0
	KMOVW       16(R8), K2
	VMOVUPS     4(AX), Z4
	VMOVUPS     68(AX), Z5
	VPERMT2PS   Z5, Z15, Z4
	VFMADD231PS Z4, Z17, K2, Z0
	KMOVW       20(R8), K3
	VMOVUPS     8(AX), Z6
	VMOVUPS     72(AX), Z7
	VPERMT2PS   Z7, Z15, Z6
	VFMADD231PS Z6, Z18, K3, Z0
	KMOVW       24(R8), K1
	VMOVUPS     0(AX)(DX*1), Z2
	VMOVUPS     64(AX)(DX*1), Z3
	VPERMT2PS   Z3, Z15, Z2
	VFMADD231PS Z2, Z19, K1, Z0
	KMOVW       28(R8), K2
	VMOVUPS     4(AX)(DX*1), Z4
	VMOVUPS     68(AX)(DX*1), Z5
	VPERMT2PS   Z5, Z15, Z4
	VFMADD231PS Z4, Z20, K2, Z0
	KMOVW       32(R8), K3
	VMOVUPS     8(AX)(DX*1), Z6
	VMOVUPS     72(AX)(DX*1), Z7
	VPERMT2PS   Z7, Z15, Z6
	VFMADD231PS Z6, Z21, K3, Z0
	KMOVW       36(R8), K1
	VMOVUPS     0(AX)(DX*2), Z2
	VMOVUPS     64(AX)(DX*2), Z3
	VPERMT2PS   Z3, Z15, Z2
	VFMADD231PS Z2, Z22, K1, Z0
	KMOVW       40(R8), K2
	VMOVUPS     4(AX)(DX*2), Z4
	VMOVUPS     68(AX)(DX*2), Z5
	VPERMT2PS   Z5, Z15, Z4
	VFMADD231PS Z4, Z23, K2, Z0
	KMOVW       44(R8), K3
	VMOVUPS     8(AX)(DX*2), Z6
	VMOVUPS     72(AX)(DX*2), Z7
	VPERMT2PS   Z7, Z15, Z6
	VFMADD231PS Z6, Z24, K3, Z0
	JMP     s2store

s2slow:
	LEAQ    (SI)(AX*4), AX
	KMOVW       12(R8), K1
	KMOVW       48(R8), K4
	KMOVW       50(R8), K5
	VMOVUPS.Z   0(AX), K4, Z2
	VMOVUPS.Z   64(AX), K5, Z3
	VPERMT2PS   Z3, Z15, Z2
	VFMADD231PS Z2, Z16, K1, Z0
	KMOVW       16(R8), K2
	KMOVW       52(R8), K6
	KMOVW       54(R8), K7
	VMOVUPS.Z   4(AX), K6, Z4
	VMOVUPS.Z   68(AX), K7, Z5
	VPERMT2PS   Z5, Z15, Z4
	VFMADD231PS Z4, Z17, K2, Z0
	KMOVW       20(R8), K3
	KMOVW       56(R8), K4
	KMOVW       58(R8), K5
	VMOVUPS.Z   8(AX), K4, Z6
	VMOVUPS.Z   72(AX), K5, Z7
	VPERMT2PS   Z7, Z15, Z6
	VFMADD231PS Z6, Z18, K3, Z0
	KMOVW       24(R8), K1
	KMOVW       60(R8), K6
	KMOVW       62(R8), K7
	VMOVUPS.Z   0(AX)(DX*1), K6, Z2
	VMOVUPS.Z   64(AX)(DX*1), K7, Z3
	VPERMT2PS   Z3, Z15, Z2
	VFMADD231PS Z2, Z19, K1, Z0
	KMOVW       28(R8), K2
	KMOVW       64(R8), K4
	KMOVW       66(R8), K5
	VMOVUPS.Z   4(AX)(DX*1), K4, Z4
	VMOVUPS.Z   68(AX)(DX*1), K5, Z5
	VPERMT2PS   Z5, Z15, Z4
	VFMADD231PS Z4, Z20, K2, Z0
	KMOVW       32(R8), K3
	KMOVW       68(R8), K6
	KMOVW       70(R8), K7
	VMOVUPS.Z   8(AX)(DX*1), K6, Z6
	VMOVUPS.Z   72(AX)(DX*1), K7, Z7
	VPERMT2PS   Z7, Z15, Z6
	VFMADD231PS Z6, Z21, K3, Z0
	KMOVW       36(R8), K1
	KMOVW       72(R8), K4
	KMOVW       74(R8), K5
	VMOVUPS.Z   0(AX)(DX*2), K4, Z2
	VMOVUPS.Z   64(AX)(DX*2), K5, Z3
	VPERMT2PS   Z3, Z15, Z2
	VFMADD231PS Z2, Z22, K1, Z0
	KMOVW       40(R8), K2
	KMOVW       76(R8), K6
	KMOVW       78(R8), K7
	VMOVUPS.Z   4(AX)(DX*2), K6, Z4
	VMOVUPS.Z   68(AX)(DX*2), K7, Z5
	VPERMT2PS   Z5, Z15, Z4
	VFMADD231PS Z4, Z23, K2, Z0
	KMOVW       44(R8), K3
	KMOVW       80(R8), K4
	KMOVW       82(R8), K5
	VMOVUPS.Z   8(AX)(DX*2), K4, Z6
	VMOVUPS.Z   72(AX)(DX*2), K5, Z7
	VPERMT2PS   Z7, Z15, Z6
	VFMADD231PS Z6, Z24, K3, Z0

s2store:
	VMAXPS  Z13, Z0, Z0
	VMINPS  Z14, Z0, Z0
	MOVLQSX 0(R8), AX
	KMOVW   8(R8), K1
	VMOVUPS Z0, K1, (DI)(AX*4)
	ADDQ    $96, R8
	DECQ    CX
	JNE     s2chunk

s2next:
	ADDQ $36, R9
	ADDQ $4, BX
	ADDQ R12, SI
	ADDQ outBytes+72(FP), DI
	MOVQ R12, AX
	SHRQ $2, AX
	SUBQ AX, R10
	SUBQ AX, R11
	DECQ nch+48(FP)
	JNE  s2chan

s2done:
	VZEROUPPER
	RET

DATA dwEven<>+0(SB)/4, $0
DATA dwEven<>+4(SB)/4, $2
DATA dwEven<>+8(SB)/4, $4
DATA dwEven<>+12(SB)/4, $6
DATA dwEven<>+16(SB)/4, $8
DATA dwEven<>+20(SB)/4, $10
DATA dwEven<>+24(SB)/4, $12
DATA dwEven<>+28(SB)/4, $14
DATA dwEven<>+32(SB)/4, $16
DATA dwEven<>+36(SB)/4, $18
DATA dwEven<>+40(SB)/4, $20
DATA dwEven<>+44(SB)/4, $22
DATA dwEven<>+48(SB)/4, $24
DATA dwEven<>+52(SB)/4, $26
DATA dwEven<>+56(SB)/4, $28
DATA dwEven<>+60(SB)/4, $30
GLOBL dwEven<>(SB), RODATA|NOPTR, $64
