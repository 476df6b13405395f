// Macros shared by the AVX-512 assembly files of package kernels.

// TAILMASK16(K) sets the mask K to the first CX lanes (CX in 1..15); clobbers
// AX.
#define TAILMASK16(K) \
	MOVQ  $1, AX; \
	SHLQ  CX, AX; \
	DECQ  AX; \
	KMOVW AX, K

// PAIRTAIL sets K1 to the first n%16 lanes of a row's last 16 values and
// K2, K3 to the first 2*(n%16) lanes of the two vectors that pair with
// them (a stride-2 split or merge of n pairs), from n in CX; leaves
// 2*(n%16) in CX and clobbers AX.
#define PAIRTAIL \
	ANDQ  $15, CX; \
	MOVL  $1, AX; \
	SHLL  CX, AX; \
	DECL  AX; \
	KMOVW AX, K1; \
	ADDQ  CX, CX; \
	MOVL  $1, AX; \
	SHLL  CX, AX; \
	DECL  AX; \
	KMOVW AX, K2; \
	SHRL  $16, AX; \
	KMOVW AX, K3

// NONE is an empty step for the macros below.
#define NONE

// MAP512(F, POST, POSTK) is an element-wise loop: dst = DI, src = SI, n =
// CX, 16 values a step, the last n%16 by one masked load and store under
// K2. F sets Z0 from the values in Z6; POST follows each whole step's store
// and POSTK the tail's (NONE for nothing).
#define MAP512(F, POST, POSTK) \
loop: \
	CMPQ CX, $16; \
	JLT tail; \
	VMOVUPS (SI), Z6; \
	F; \
	VMOVUPS Z0, (DI); \
	POST; \
	ADDQ $64, SI; \
	ADDQ $64, DI; \
	SUBQ $16, CX; \
	JMP loop; \
tail: \
	TESTQ CX, CX; \
	JEQ done; \
	TAILMASK16(K2); \
	VMOVUPS.Z (SI), K2, Z6; \
	F; \
	VMOVUPS Z0, K2, (DI); \
	POSTK; \
done:

// REDUCE16(OP, OPSS, Z, Y) sets X1 to OP over the 16 lanes of Z (Y is its
// lower half): halves added (or compared) lane-wise down to one lane, OPSS
// the last step; clobbers X2.
#define REDUCE16(OP, OPSS, Z, Y) \
	VEXTRACTF32X8 $1, Z, Y1; \
	OP            Y1, Y, Y1; \
	VEXTRACTF128  $1, Y1, X2; \
	OP            X2, X1, X1; \
	VPERMILPS     $0x4e, X1, X2; \
	OP            X2, X1, X1; \
	VPERMILPS     $0xb1, X1, X2; \
	OPSS          X2, X1, X1
