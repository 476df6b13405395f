//go:build amd64 && !purego

#include "textflag.h"

// The Winograd F(4x4, 3x3) transforms (see winograd.go), AVX-512: 16 tiles
// at a time, one per lane, the tiles' patches gathered from the padded
// planes and each output row's four values of a tile stored to the output
// plane as one masked run.

// WGIN is B^T applied to six vectors (wgInRow): d0..d5 in, Z6..Z11 out.
// Constants: Z20 = 4, Z21 = -5, Z22 = -4, Z23 = 2, Z24 = -2.
#define WGIN(d0, d1, d2, d3, d4, d5) \
	VMOVAPS d4, Z6; VFMADD231PS Z20, d0, Z6; VFMADD231PS Z21, d2, Z6; \
	VADDPS d2, d1, Z12; \
	VSUBPS d2, d1, Z13; \
	VSUBPS d1, d3, Z14; \
	VSUBPS d2, d4, Z15; \
	VADDPS d4, d3, Z7; VFMADD231PS Z22, Z12, Z7; \
	VSUBPS d3, d4, Z8; VFMADD231PS Z20, Z13, Z8; \
	VMOVAPS Z15, Z9; VFMADD231PS Z23, Z14, Z9; \
	VMOVAPS Z15, Z10; VFMADD231PS Z24, Z14, Z10; \
	VMOVAPS d5, Z11; VFMADD231PS Z20, d1, Z11; VFMADD231PS Z21, d3, Z11

// INCOLB applies B^T to column j of the patches (Z0..Z5) and keeps the
// six results in tmp at (i*6+j)*64.
#define INCOLB(j) \
	WGIN(Z0, Z1, Z2, Z3, Z4, Z5); \
	VMOVUPS Z6, ((0*6+j)*64)(R11); \
	VMOVUPS Z7, ((1*6+j)*64)(R11); \
	VMOVUPS Z8, ((2*6+j)*64)(R11); \
	VMOVUPS Z9, ((3*6+j)*64)(R11); \
	VMOVUPS Z10, ((4*6+j)*64)(R11); \
	VMOVUPS Z11, ((5*6+j)*64)(R11)

// INCOL gathers column j of the 16 patches (rows i at index vector
// Z26+i), applies B^T and keeps the six results in tmp at (i*6+j)*64.
#define INCOL(j) \
	KMOVW AX, K1; VGATHERDPS (j*4)(SI)(Z26*4), K1, Z0; \
	KMOVW AX, K1; VGATHERDPS (j*4)(SI)(Z27*4), K1, Z1; \
	KMOVW AX, K1; VGATHERDPS (j*4)(SI)(Z28*4), K1, Z2; \
	KMOVW AX, K1; VGATHERDPS (j*4)(SI)(Z29*4), K1, Z3; \
	KMOVW AX, K1; VGATHERDPS (j*4)(SI)(Z30*4), K1, Z4; \
	KMOVW AX, K1; VGATHERDPS (j*4)(SI)(Z31*4), K1, Z5; \
	INCOLB(j)

// INROW applies B to row i of tmp and stores positions i*6..i*6+5, R8
// walking the positions (DX bytes apart).
#define INROW(i) \
	VMOVUPS ((i*6+0)*64)(R11), Z0; \
	VMOVUPS ((i*6+1)*64)(R11), Z1; \
	VMOVUPS ((i*6+2)*64)(R11), Z2; \
	VMOVUPS ((i*6+3)*64)(R11), Z3; \
	VMOVUPS ((i*6+4)*64)(R11), Z4; \
	VMOVUPS ((i*6+5)*64)(R11), Z5; \
	WGIN(Z0, Z1, Z2, Z3, Z4, Z5); \
	VMOVUPS Z6, (R8); ADDQ DX, R8; \
	VMOVUPS Z7, (R8); ADDQ DX, R8; \
	VMOVUPS Z8, (R8); ADDQ DX, R8; \
	VMOVUPS Z9, (R8); ADDQ DX, R8; \
	VMOVUPS Z10, (R8); ADDQ DX, R8; \
	VMOVUPS Z11, (R8); ADDQ DX, R8

// INROWS applies B to the six rows of tmp, storing every position of
// the channel from DI, then steps SI and DI to the next channel.
#define INROWS \
	MOVQ DI, R8; \
	INROW(0); \
	INROW(1); \
	INROW(2); \
	INROW(3); \
	INROW(4); \
	INROW(5); \
	ADDQ R13, SI; \
	ADDQ R12, DI

// INARGS loads the arguments both input transforms take (byte strides,
// the six rows of idx in Z26-Z31) and the constants of B^T in Z20-Z24.
#define INARGS \
	MOVQ v+0(FP), DI; \
	MOVQ vs+8(FP), DX; \
	SHLQ $2, DX; \
	MOVQ vrow+16(FP), R12; \
	SHLQ $2, R12; \
	MOVQ x+24(FP), SI; \
	MOVQ plane+32(FP), R13; \
	SHLQ $2, R13; \
	MOVQ idx+40(FP), AX; \
	VMOVDQU32 (AX), Z26; \
	VMOVDQU32 64(AX), Z27; \
	VMOVDQU32 128(AX), Z28; \
	VMOVDQU32 192(AX), Z29; \
	VMOVDQU32 256(AX), Z30; \
	VMOVDQU32 320(AX), Z31; \
	MOVQ nch+48(FP), CX; \
	MOVQ tmp+56(FP), R11; \
	MOVL $0x40800000, AX; \
	VPBROADCASTD AX, Z20; \
	MOVL $0xc0a00000, AX; \
	VPBROADCASTD AX, Z21; \
	MOVL $0xc0800000, AX; \
	VPBROADCASTD AX, Z22; \
	MOVL $0x40000000, AX; \
	VPBROADCASTD AX, Z23; \
	MOVL $0xc0000000, AX; \
	VPBROADCASTD AX, Z24

// func wgInputAVX512(v *float32, vs, vrow int, x *float32, plane int, idx *int32, nch int, tmp *float32)
// For nch channels c (planes plane values apart from x, rows of V vrow
// apart from v): v[(i*6+j)*vs + c*vrow + l] = (B^T d B)[i][j] for the
// patch d[i][j] = x[c*plane + idx[i*16+l] + j] of lane l. tmp holds 576
// values.
TEXT ·wgInputAVX512(SB), NOSPLIT, $0-64
	INARGS // Z20-Z24: 4, -5, -4, 2, -2
	MOVL $0xffff, AX
inchan:
	INCOL(0)
	INCOL(1)
	INCOL(2)
	INCOL(3)
	INCOL(4)
	INCOL(5)
	INROWS
	DECQ CX
	JNZ inchan
	VZEROUPPER
	RET

// PROW16 writes patch row i of column j of the 16 tiles of a 16x16 image
// (4x4 tiles, lane 4*ty+tx; padded rows of 18 values, 72 bytes) to dst:
// for each tile row ty, the padded row 4*ty+i permuted (table at byte off
// of the row, index idx) into the lanes of mask K1..K4.
#define PROW16(i, idx, off, dst) \
	VPERMPS ((0*4+i)*72+off)(SI), idx, K1, dst; \
	VPERMPS ((1*4+i)*72+off)(SI), idx, K2, dst; \
	VPERMPS ((2*4+i)*72+off)(SI), idx, K3, dst; \
	VPERMPS ((3*4+i)*72+off)(SI), idx, K4, dst

// INCOL16 is INCOL for the 16 tiles of a 16x16 image: column j of the
// patches by permutes of the padded rows (from byte off, index idx)
// instead of gathers.
#define INCOL16(j, idx, off) \
	PROW16(0, idx, off, Z0); \
	PROW16(1, idx, off, Z1); \
	PROW16(2, idx, off, Z2); \
	PROW16(3, idx, off, Z3); \
	PROW16(4, idx, off, Z4); \
	PROW16(5, idx, off, Z5); \
	INCOLB(j)

// func wgInput16AVX512(v *float32, vs, vrow int, x *float32, plane int, idx *int32, nch int, tmp *float32)
// wgInputAVX512 for the 16 tiles of one 16x16 image (padded planes of 18x18
// from x, lane 4*ty+tx the tile at row ty and column tx): idx holds the
// six permutations, 16 lanes each, that take column j of the lanes' patch
// rows from a padded row's values 0..15 (j < 4) or 2..17 (j >= 4). The
// same values in the same lanes as wgInputAVX512, so the same bits.
TEXT ·wgInput16AVX512(SB), NOSPLIT, $0-64
	INARGS // Z20-Z24: 4, -5, -4, 2, -2
	MOVL $0x000f, AX
	KMOVW AX, K1
	MOVL $0x00f0, AX
	KMOVW AX, K2
	MOVL $0x0f00, AX
	KMOVW AX, K3
	MOVL $0xf000, AX
	KMOVW AX, K4
in16chan:
	INCOL16(0, Z26, 0)
	INCOL16(1, Z27, 0)
	INCOL16(2, Z28, 0)
	INCOL16(3, Z29, 0)
	INCOL16(4, Z30, 8)
	INCOL16(5, Z31, 8)
	INROWS
	DECQ CX
	JNZ in16chan
	VZEROUPPER
	RET

// WGOUT is A^T applied to six vectors (wgOutRow): Z0..Z5 in, Z6..Z9 out.
// Constants: Z20 = 4, Z23 = 2, Z25 = 8.
#define WGOUT \
	VADDPS Z2, Z1, Z12; \
	VSUBPS Z2, Z1, Z13; \
	VADDPS Z4, Z3, Z14; \
	VSUBPS Z4, Z3, Z15; \
	VADDPS Z12, Z0, Z6; VADDPS Z14, Z6, Z6; \
	VMOVAPS Z13, Z7; VFMADD231PS Z23, Z15, Z7; \
	VMOVAPS Z12, Z8; VFMADD231PS Z20, Z14, Z8; \
	VADDPS Z5, Z13, Z9; VFMADD231PS Z25, Z15, Z9

// OUTCOL loads column j of the products (positions j, 6+j, ..., 30+j,
// R10 bytes apart from R8), applies A^T and keeps the four results in tmp
// at (i*6+j)*64; R8 moves on to the next column.
#define OUTCOL(j) \
	MOVQ R8, R11; \
	VMOVUPS (R11), Z0; ADDQ R10, R11; \
	VMOVUPS (R11), Z1; ADDQ R10, R11; \
	VMOVUPS (R11), Z2; ADDQ R10, R11; \
	VMOVUPS (R11), Z3; ADDQ R10, R11; \
	VMOVUPS (R11), Z4; ADDQ R10, R11; \
	VMOVUPS (R11), Z5; \
	WGOUT; \
	VMOVUPS Z6, ((0*6+j)*64)(AX); \
	VMOVUPS Z7, ((1*6+j)*64)(AX); \
	VMOVUPS Z8, ((2*6+j)*64)(AX); \
	VMOVUPS Z9, ((3*6+j)*64)(AX); \
	ADDQ R9, R8

// CLAMP adds the bias to y and clamps it to [lo, hi].
#define CLAMP(y) VADDPS Z24, y, y; VMAXPS y, Z26, y; VMINPS y, Z27, y

// STORE4 stores block b of z (lane l = 4b+q's four values of an output
// row) to the row's place in lane l's tile, the columns of its mask: mask
// and offset (i*16+l) of idx and masks.
#define STORE4(i, l, b, z) \
	MOVL ((i*16+l)*4)(R14), R15; \
	KMOVW ((i*16+l)*2)(BX), K1; \
	VEXTRACTF32X4 $b, z, K1, (DI)(R15*4)

// STORE4X is STORE4 for block 0, through its XMM register x.
#define STORE4X(i, l, x) \
	MOVL ((i*16+l)*4)(R14), R15; \
	KMOVW ((i*16+l)*2)(BX), K1; \
	VMOVUPS x, K1, (DI)(R15*4)

// OUTROW applies A to row i of tmp, adds the bias and clamps, turns the
// four columns of 16 lanes into 16 runs of four values (4x4 transposes in
// each 128-bit block: block b of Z16+q is lane 4b+q's row) and stores
// each lane's run to its tile's row i.
#define OUTROW(i) \
	VMOVUPS ((i*6+0)*64)(AX), Z0; \
	VMOVUPS ((i*6+1)*64)(AX), Z1; \
	VMOVUPS ((i*6+2)*64)(AX), Z2; \
	VMOVUPS ((i*6+3)*64)(AX), Z3; \
	VMOVUPS ((i*6+4)*64)(AX), Z4; \
	VMOVUPS ((i*6+5)*64)(AX), Z5; \
	WGOUT; \
	CLAMP(Z6); CLAMP(Z7); CLAMP(Z8); CLAMP(Z9); \
	VUNPCKLPS Z7, Z6, Z10; \
	VUNPCKHPS Z7, Z6, Z11; \
	VUNPCKLPS Z9, Z8, Z12; \
	VUNPCKHPS Z9, Z8, Z13; \
	VUNPCKLPD Z12, Z10, Z16; \
	VUNPCKHPD Z12, Z10, Z17; \
	VUNPCKLPD Z13, Z11, Z18; \
	VUNPCKHPD Z13, Z11, Z19; \
	STORE4X(i, 0, X16); STORE4X(i, 1, X17); STORE4X(i, 2, X18); STORE4X(i, 3, X19); \
	STORE4(i, 4, 1, Z16); STORE4(i, 5, 1, Z17); STORE4(i, 6, 1, Z18); STORE4(i, 7, 1, Z19); \
	STORE4(i, 8, 2, Z16); STORE4(i, 9, 2, Z17); STORE4(i, 10, 2, Z18); STORE4(i, 11, 2, Z19); \
	STORE4(i, 12, 3, Z16); STORE4(i, 13, 3, Z17); STORE4(i, 14, 3, Z18); STORE4(i, 15, 3, Z19)

// func wgOutputAVX512(dst *float32, npix int, m *float32, ms, mrow int, idx *int32, masks *uint16, bias *float32, lo, hi float32, nk int, tmp *float32)
// For nk output channels k (planes npix values apart from dst, rows of
// the products mrow apart from m, position stride ms): row i of the 4x4
// output A^T M A of lane l's tile, plus bias[k], clamped to [lo, hi], goes
// to dst[k*npix + idx[i*16+l] + j] for each column j whose bit is set in
// masks[i*16+l]. tmp holds 576 values.
TEXT ·wgOutputAVX512(SB), NOSPLIT, $0-88
	MOVQ dst+0(FP), DI
	MOVQ npix+8(FP), R12
	SHLQ $2, R12
	MOVQ m+16(FP), SI
	MOVQ ms+24(FP), R9
	SHLQ $2, R9
	LEAQ (R9)(R9*2), R10
	SHLQ $1, R10 // 6*ms bytes
	MOVQ mrow+32(FP), R13
	SHLQ $2, R13
	MOVQ idx+40(FP), R14
	MOVQ masks+48(FP), BX
	MOVQ bias+56(FP), DX
	VBROADCASTSS lo+64(FP), Z26
	VBROADCASTSS hi+68(FP), Z27
	MOVQ nk+72(FP), CX
	MOVQ tmp+80(FP), AX
	MOVL $0x40800000, R8 // 4
	VPBROADCASTD R8, Z20
	MOVL $0x40000000, R8 // 2
	VPBROADCASTD R8, Z23
	MOVL $0x41000000, R8 // 8
	VPBROADCASTD R8, Z25
outchan:
	VBROADCASTSS (DX), Z24
	MOVQ SI, R8
	OUTCOL(0)
	OUTCOL(1)
	OUTCOL(2)
	OUTCOL(3)
	OUTCOL(4)
	OUTCOL(5)
	OUTROW(0)
	OUTROW(1)
	OUTROW(2)
	OUTROW(3)
	ADDQ R12, DI
	ADDQ R13, SI
	ADDQ $4, DX
	DECQ CX
	JNZ outchan
	VZEROUPPER
	RET
