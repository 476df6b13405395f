//go:build amd64 && !purego

#include "textflag.h"
#include "avx512.h"

// LayerNormRow's last two passes in AVX-512 (see norm_amd64.go): 16 lanes a step,
// the last n%16 under the mask K1, sums in two vectors of 16 lanes added
// lane-wise and then across the lanes.

// func centredSquares512(src *float32, n int, mean float32) float32
TEXT ·centredSquares512(SB), NOSPLIT, $0-28
	MOVQ         src+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS mean+16(FP), Z7
	VXORPS       Z8, Z8, Z8
	VXORPS       Z9, Z9, Z9

sq32:
	CMPQ        CX, $32
	JLT         sq16
	VMOVUPS     (SI), Z4
	VMOVUPS     64(SI), Z5
	VSUBPS      Z7, Z4, Z4
	VSUBPS      Z7, Z5, Z5
	VFMADD231PS Z4, Z4, Z8
	VFMADD231PS Z5, Z5, Z9
	ADDQ        $128, SI
	SUBQ        $32, CX
	JMP         sq32

sq16:
	CMPQ        CX, $16
	JLT         sqtail
	VMOVUPS     (SI), Z4
	VSUBPS      Z7, Z4, Z4
	VFMADD231PS Z4, Z4, Z8
	ADDQ        $64, SI
	SUBQ        $16, CX

sqtail:
	TESTQ       CX, CX
	JEQ         sqdone
	TAILMASK16(K1)
	VMOVUPS.Z   (SI), K1, Z4
	VSUBPS.Z    Z7, Z4, K1, Z4
	VFMADD231PS Z4, Z4, Z9

sqdone:
	VADDPS Z9, Z8, Z8
	REDUCE16(VADDPS, VADDSS, Z8, Y8)
	MOVSS X1, ret+24(FP)
	VZEROUPPER
	RET

// NORM sets Z4 = ((Z4 - mean) * inv) * scale, the scale at OFF(DX).
#define NORM(OFF) \
	VSUBPS Z7, Z4, Z4; \
	VMULPS Z10, Z4, Z4; \
	VMULPS OFF(DX), Z4, Z4

// func normalize512(dst, src, scale, bias *float32, n int, mean, inv float32)
TEXT ·normalize512(SB), NOSPLIT, $0-48
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         scale+16(FP), DX
	MOVQ         bias+24(FP), BX
	MOVQ         n+32(FP), CX
	VBROADCASTSS mean+40(FP), Z7
	VBROADCASTSS inv+44(FP), Z10
	TESTQ        BX, BX
	JEQ          nobias

loop:
	CMPQ    CX, $16
	JLT     tail
	VMOVUPS (SI), Z4
	NORM(0)
	VADDPS  (BX), Z4, Z4
	VMOVUPS Z4, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	ADDQ    $64, DX
	ADDQ    $64, BX
	SUBQ    $16, CX
	JMP     loop

tail:
	TESTQ     CX, CX
	JEQ       done
	TAILMASK16(K1)
	VMOVUPS.Z (SI), K1, Z4
	VMOVUPS.Z (DX), K1, Z5
	VMOVUPS.Z (BX), K1, Z6
	VSUBPS    Z7, Z4, Z4
	VMULPS    Z10, Z4, Z4
	VMULPS    Z5, Z4, Z4
	VADDPS    Z6, Z4, Z4
	VMOVUPS   Z4, K1, (DI)
	JMP       done

nobias:
	CMPQ    CX, $16
	JLT     nbtail
	VMOVUPS (SI), Z4
	NORM(0)
	VMOVUPS Z4, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	ADDQ    $64, DX
	SUBQ    $16, CX
	JMP     nobias

nbtail:
	TESTQ     CX, CX
	JEQ       done
	TAILMASK16(K1)
	VMOVUPS.Z (SI), K1, Z4
	VMOVUPS.Z (DX), K1, Z5
	VSUBPS    Z7, Z4, Z4
	VMULPS    Z10, Z4, Z4
	VMULPS    Z5, Z4, Z4
	VMOVUPS   Z4, K1, (DI)

done:
	VZEROUPPER
	RET
