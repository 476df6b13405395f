//go:build amd64 && !purego

#include "textflag.h"
#include "avx512.h"

// Row copies, the stride-2 deinterleave of plane preparation, and the dot
// product and axpy of the few-row Gemm path (AVX2; 8 floats per vector, with
// scalar loops for the remainders, so nothing outside the rows is touched).

// func deinterleaveRowsAVX2(even *float32, es int, odd *float32, os int, src *float32, ss, rows, n int)
TEXT ·deinterleaveRowsAVX2(SB), NOSPLIT, $0-64
	MOVQ even+0(FP), DI
	MOVQ es+8(FP), R9
	SHLQ $2, R9
	MOVQ odd+16(FP), R8
	MOVQ os+24(FP), R10
	SHLQ $2, R10
	MOVQ src+32(FP), SI
	MOVQ ss+40(FP), R11
	SHLQ $2, R11
	MOVQ rows+48(FP), R12
row:
	MOVQ n+56(FP), CX
	MOVQ DI, AX
	MOVQ R8, BX
	MOVQ SI, DX
loop8:
	CMPQ CX, $8
	JLT tail
	VMOVUPS (DX), Y0
	VMOVUPS 32(DX), Y1
	VSHUFPS $0x88, Y1, Y0, Y2
	VSHUFPS $0xDD, Y1, Y0, Y3
	VPERMPD $0xD8, Y2, Y2
	VPERMPD $0xD8, Y3, Y3
	VMOVUPS Y2, (AX)
	VMOVUPS Y3, (BX)
	ADDQ $64, DX
	ADDQ $32, AX
	ADDQ $32, BX
	SUBQ $8, CX
	JMP loop8
tail:
	TESTQ CX, CX
	JEQ next
	MOVSS (DX), X0
	MOVSS X0, (AX)
	MOVSS 4(DX), X0
	MOVSS X0, (BX)
	ADDQ $8, DX
	ADDQ $4, AX
	ADDQ $4, BX
	DECQ CX
	JMP tail
next:
	ADDQ R9, DI
	ADDQ R10, R8
	ADDQ R11, SI
	DECQ R12
	JNZ row
	VZEROUPPER
	RET

// func deinterleaveRowsAVX512(even *float32, es int, odd *float32, os int, src *float32, ss, rows, n int)
// deinterleaveRowsAVX2 16 values at a time (VPERMI2PS of two vectors of
// the row), the last n%16 through masks: nothing outside the rows is read
// or written.
TEXT ·deinterleaveRowsAVX512(SB), NOSPLIT, $0-64
	MOVQ      even+0(FP), DI
	MOVQ      es+8(FP), R9
	SHLQ      $2, R9
	MOVQ      odd+16(FP), R8
	MOVQ      os+24(FP), R10
	SHLQ      $2, R10
	MOVQ      src+32(FP), SI
	MOVQ      ss+40(FP), R11
	SHLQ      $2, R11
	MOVQ      rows+48(FP), R12
	VMOVDQU32 deintEven<>(SB), Z30
	VMOVDQU32 deintOdd<>(SB), Z31
	// K1: the last n%16 outputs; K2, K3: their 2*(n%16) inputs in the
	// two vectors.
	MOVQ      n+56(FP), CX
	PAIRTAIL

drow:
	MOVQ n+56(FP), CX
	MOVQ DI, AX
	MOVQ R8, BX
	MOVQ SI, DX

dloop16:
	CMPQ      CX, $16
	JLT       dtail
	VMOVUPS   (DX), Z0
	VMOVUPS   64(DX), Z1
	VMOVAPS   Z30, Z2
	VPERMI2PS Z1, Z0, Z2
	VMOVAPS   Z31, Z3
	VPERMI2PS Z1, Z0, Z3
	VMOVUPS   Z2, (AX)
	VMOVUPS   Z3, (BX)
	ADDQ      $128, DX
	ADDQ      $64, AX
	ADDQ      $64, BX
	SUBQ      $16, CX
	JMP       dloop16

dtail:
	TESTQ     CX, CX
	JEQ       dnext
	VMOVUPS.Z (DX), K2, Z0
	VMOVUPS.Z 64(DX), K3, Z1
	VMOVAPS   Z30, Z2
	VPERMI2PS Z1, Z0, Z2
	VMOVAPS   Z31, Z3
	VPERMI2PS Z1, Z0, Z3
	VMOVUPS   Z2, K1, (AX)
	VMOVUPS   Z3, K1, (BX)

dnext:
	ADDQ R9, DI
	ADDQ R10, R8
	ADDQ R11, SI
	DECQ R12
	JNZ  drow
	VZEROUPPER
	RET

DATA deintEven<>+0(SB)/8, $0x0000000200000000
DATA deintEven<>+8(SB)/8, $0x0000000600000004
DATA deintEven<>+16(SB)/8, $0x0000000a00000008
DATA deintEven<>+24(SB)/8, $0x0000000e0000000c
DATA deintEven<>+32(SB)/8, $0x0000001200000010
DATA deintEven<>+40(SB)/8, $0x0000001600000014
DATA deintEven<>+48(SB)/8, $0x0000001a00000018
DATA deintEven<>+56(SB)/8, $0x0000001e0000001c
GLOBL deintEven<>(SB), RODATA|NOPTR, $64

DATA deintOdd<>+0(SB)/8, $0x0000000300000001
DATA deintOdd<>+8(SB)/8, $0x0000000700000005
DATA deintOdd<>+16(SB)/8, $0x0000000b00000009
DATA deintOdd<>+24(SB)/8, $0x0000000f0000000d
DATA deintOdd<>+32(SB)/8, $0x0000001300000011
DATA deintOdd<>+40(SB)/8, $0x0000001700000015
DATA deintOdd<>+48(SB)/8, $0x0000001b00000019
DATA deintOdd<>+56(SB)/8, $0x0000001f0000001d
GLOBL deintOdd<>(SB), RODATA|NOPTR, $64

// func copyRowsAVX2(dst *float32, ds int, src *float32, ss, rows, n int)
TEXT ·copyRowsAVX2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ ds+8(FP), R9
	SHLQ $2, R9
	MOVQ src+16(FP), SI
	MOVQ ss+24(FP), R11
	SHLQ $2, R11
	MOVQ rows+32(FP), R12
row:
	MOVQ n+40(FP), CX
	MOVQ DI, AX
	MOVQ SI, DX
loop16:
	CMPQ CX, $16
	JLT loop8
	VMOVUPS (DX), Y0
	VMOVUPS 32(DX), Y1
	VMOVUPS Y0, (AX)
	VMOVUPS Y1, 32(AX)
	ADDQ $64, DX
	ADDQ $64, AX
	SUBQ $16, CX
	JMP loop16
loop8:
	CMPQ CX, $8
	JLT tail
	VMOVUPS (DX), Y0
	VMOVUPS Y0, (AX)
	ADDQ $32, DX
	ADDQ $32, AX
	SUBQ $8, CX
tail:
	TESTQ CX, CX
	JEQ next
	MOVSS (DX), X0
	MOVSS X0, (AX)
	ADDQ $4, DX
	ADDQ $4, AX
	DECQ CX
	JMP tail
next:
	ADDQ R9, DI
	ADDQ R11, SI
	DECQ R12
	JNZ row
	VZEROUPPER
	RET

// func dotAVX2(x, y *float32, n int) float32
TEXT ·dotAVX2(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
loop32:
	CMPQ CX, $32
	JLT loop8
	VMOVUPS (SI), Y4
	VMOVUPS 32(SI), Y5
	VMOVUPS 64(SI), Y6
	VMOVUPS 96(SI), Y7
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP loop32
loop8:
	CMPQ CX, $8
	JLT reduce
	VMOVUPS (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP loop8
reduce:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
tail:
	TESTQ CX, CX
	JEQ done
	VMOVSS (SI), X1
	VFMADD231SS (DI), X1, X0
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP tail
done:
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func axpyAVX2(dst, x *float32, a float32, n int)
TEXT ·axpyAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	VBROADCASTSS a+16(FP), Y15
	MOVQ n+24(FP), CX
loop32:
	CMPQ CX, $32
	JLT loop8
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VFMADD213PS (DI), Y15, Y0
	VFMADD213PS 32(DI), Y15, Y1
	VFMADD213PS 64(DI), Y15, Y2
	VFMADD213PS 96(DI), Y15, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP loop32
loop8:
	CMPQ CX, $8
	JLT tail
	VMOVUPS (SI), Y0
	VFMADD213PS (DI), Y15, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP loop8
tail:
	TESTQ CX, CX
	JEQ done
	VMOVSS (SI), X0
	VFMADD213SS (DI), X15, X0
	VMOVSS X0, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP tail
done:
	VZEROUPPER
	RET

// func copyRowsAVX512(dst *float32, ds int, src *float32, ss, rows, n int)
// Like copyRowsAVX2, with the remainder of each row (fewer than 16 values)
// moved by one masked load and store instead of a scalar loop.
TEXT ·copyRowsAVX512(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ ds+8(FP), R9
	SHLQ $2, R9
	MOVQ src+16(FP), SI
	MOVQ ss+24(FP), R11
	SHLQ $2, R11
	MOVQ rows+32(FP), R12
	MOVQ n+40(FP), CX
	ANDQ $15, CX
	MOVQ $1, BX
	SHLQ CX, BX
	DECQ BX
	KMOVW BX, K1
row:
	MOVQ n+40(FP), CX
	MOVQ DI, AX
	MOVQ SI, DX
loop16:
	CMPQ CX, $16
	JLT tail
	VMOVUPS (DX), Z0
	VMOVUPS Z0, (AX)
	ADDQ $64, DX
	ADDQ $64, AX
	SUBQ $16, CX
	JMP loop16
tail:
	TESTQ CX, CX
	JEQ next
	VMOVUPS (DX), K1, Z0
	VMOVUPS Z0, K1, (AX)
next:
	ADDQ R9, DI
	ADDQ R11, SI
	DECQ R12
	JNZ row
	VZEROUPPER
	RET

// func dot3AVX2(x, y0, y1, y2 *float32, n int, out *float32)
// out[v] = the dot product of x and yv, each summed as dotAVX2 sums it
// (the same four accumulators, reduction and tail), x loaded once for the
// three.
TEXT ·dot3AVX2(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ y0+8(FP), DI
	MOVQ y1+16(FP), R8
	MOVQ y2+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ out+40(FP), DX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
d3loop32:
	CMPQ CX, $32
	JLT d3loop8
	VMOVUPS (SI), Y12
	VMOVUPS 32(SI), Y13
	VMOVUPS 64(SI), Y14
	VMOVUPS 96(SI), Y15
	VFMADD231PS (DI), Y12, Y0
	VFMADD231PS 32(DI), Y13, Y1
	VFMADD231PS 64(DI), Y14, Y2
	VFMADD231PS 96(DI), Y15, Y3
	VFMADD231PS (R8), Y12, Y4
	VFMADD231PS 32(R8), Y13, Y5
	VFMADD231PS 64(R8), Y14, Y6
	VFMADD231PS 96(R8), Y15, Y7
	VFMADD231PS (R9), Y12, Y8
	VFMADD231PS 32(R9), Y13, Y9
	VFMADD231PS 64(R9), Y14, Y10
	VFMADD231PS 96(R9), Y15, Y11
	ADDQ $128, SI
	ADDQ $128, DI
	ADDQ $128, R8
	ADDQ $128, R9
	SUBQ $32, CX
	JMP d3loop32
d3loop8:
	CMPQ CX, $8
	JLT d3reduce
	VMOVUPS (SI), Y12
	VFMADD231PS (DI), Y12, Y0
	VFMADD231PS (R8), Y12, Y4
	VFMADD231PS (R9), Y12, Y8
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R8
	ADDQ $32, R9
	SUBQ $8, CX
	JMP d3loop8
d3reduce:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VADDPS Y5, Y4, Y4
	VADDPS Y7, Y6, Y6
	VADDPS Y6, Y4, Y4
	VEXTRACTF128 $1, Y4, X5
	VADDPS X5, X4, X4
	VHADDPS X4, X4, X4
	VHADDPS X4, X4, X4
	VADDPS Y9, Y8, Y8
	VADDPS Y11, Y10, Y10
	VADDPS Y10, Y8, Y8
	VEXTRACTF128 $1, Y8, X9
	VADDPS X9, X8, X8
	VHADDPS X8, X8, X8
	VHADDPS X8, X8, X8
d3tail:
	TESTQ CX, CX
	JEQ d3done
	VMOVSS (SI), X12
	VFMADD231SS (DI), X12, X0
	VFMADD231SS (R8), X12, X4
	VFMADD231SS (R9), X12, X8
	ADDQ $4, SI
	ADDQ $4, DI
	ADDQ $4, R8
	ADDQ $4, R9
	DECQ CX
	JMP d3tail
d3done:
	VMOVSS X0, (DX)
	VMOVSS X4, 4(DX)
	VMOVSS X8, 8(DX)
	VZEROUPPER
	RET

// func interleaveRowsAVX512(dst *float32, ds int, even *float32, es int, odd *float32, os int, rows, n int)
// deinterleaveRowsAVX512 backwards: for each row, dst[2j] = even[j] and
// dst[2j+1] = odd[j] for j < n, 16 pairs at a time (VPERMI2PS of an even
// and an odd vector), the last n%16 through masks.
TEXT ·interleaveRowsAVX512(SB), NOSPLIT, $0-64
	MOVQ      dst+0(FP), DI
	MOVQ      ds+8(FP), R9
	SHLQ      $2, R9
	MOVQ      even+16(FP), SI
	MOVQ      es+24(FP), R10
	SHLQ      $2, R10
	MOVQ      odd+32(FP), R8
	MOVQ      os+40(FP), R11
	SHLQ      $2, R11
	MOVQ      rows+48(FP), R12
	VMOVDQU32 intLo<>(SB), Z30
	VMOVDQU32 intHi<>(SB), Z31
	// K1: the last n%16 inputs; K2, K3: their 2*(n%16) outputs in the
	// two vectors.
	MOVQ      n+56(FP), CX
	PAIRTAIL

irow:
	MOVQ n+56(FP), CX
	MOVQ DI, AX
	MOVQ SI, BX
	MOVQ R8, DX

iloop16:
	CMPQ      CX, $16
	JLT       itail
	VMOVUPS   (BX), Z0
	VMOVUPS   (DX), Z1
	VMOVAPS   Z30, Z2
	VPERMI2PS Z1, Z0, Z2
	VMOVAPS   Z31, Z3
	VPERMI2PS Z1, Z0, Z3
	VMOVUPS   Z2, (AX)
	VMOVUPS   Z3, 64(AX)
	ADDQ      $64, BX
	ADDQ      $64, DX
	ADDQ      $128, AX
	SUBQ      $16, CX
	JMP       iloop16

itail:
	TESTQ     CX, CX
	JEQ       inext
	VMOVUPS.Z (BX), K1, Z0
	VMOVUPS.Z (DX), K1, Z1
	VMOVAPS   Z30, Z2
	VPERMI2PS Z1, Z0, Z2
	VMOVAPS   Z31, Z3
	VPERMI2PS Z1, Z0, Z3
	VMOVUPS   Z2, K2, (AX)
	VMOVUPS   Z3, K3, 64(AX)

inext:
	ADDQ R9, DI
	ADDQ R10, SI
	ADDQ R11, R8
	DECQ R12
	JNZ  irow
	VZEROUPPER
	RET

DATA intLo<>+0(SB)/8, $0x0000001000000000
DATA intLo<>+8(SB)/8, $0x0000001100000001
DATA intLo<>+16(SB)/8, $0x0000001200000002
DATA intLo<>+24(SB)/8, $0x0000001300000003
DATA intLo<>+32(SB)/8, $0x0000001400000004
DATA intLo<>+40(SB)/8, $0x0000001500000005
DATA intLo<>+48(SB)/8, $0x0000001600000006
DATA intLo<>+56(SB)/8, $0x0000001700000007
GLOBL intLo<>(SB), RODATA|NOPTR, $64

DATA intHi<>+0(SB)/8, $0x0000001800000008
DATA intHi<>+8(SB)/8, $0x0000001900000009
DATA intHi<>+16(SB)/8, $0x0000001a0000000a
DATA intHi<>+24(SB)/8, $0x0000001b0000000b
DATA intHi<>+32(SB)/8, $0x0000001c0000000c
DATA intHi<>+40(SB)/8, $0x0000001d0000000d
DATA intHi<>+48(SB)/8, $0x0000001e0000000e
DATA intHi<>+56(SB)/8, $0x0000001f0000000f
GLOBL intHi<>(SB), RODATA|NOPTR, $64
