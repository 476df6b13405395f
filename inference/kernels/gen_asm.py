# Generates the amd64 assembly kernels: python3 gen_asm.py . (from this folder).
def gemm_kernel(name, mr, vec, nvec, regs_acc_start, breg, bcregs, wbytes):
    # vec: 'Y' or 'Z'; nvec: vectors per row (NR = nvec*lanes)
    lanes = 8 if vec == 'Y' else 16
    nr = nvec * lanes
    L = []
    a = L.append
    a(f"// func {name}(kc int, a, b, c *float32, ldc, flags int, bias *float32, lo, hi float32)")
    a(f"TEXT ·{name}(SB), NOSPLIT, $0-64")
    a("\tMOVQ kc+0(FP), CX")
    a("\tMOVQ a+8(FP), SI")
    a("\tMOVQ b+16(FP), DI")
    a("\tMOVQ c+24(FP), DX")
    a("\tMOVQ ldc+32(FP), R8")
    a("\tSHLQ $2, R8")
    acc = lambda r, v: f"{vec}{regs_acc_start + r*nvec + v}"
    for r in range(mr):
        for v in range(nvec):
            x = acc(r, v)
            a(f"\tVXORPS {x}, {x}, {x}")
    def step(koff):
        for v in range(nvec):
            a(f"\tVMOVUPS {koff*nr*4 + v*wbytes}(DI), {vec}{breg+v}")
        for r in range(mr):
            bc = f"{vec}{bcregs[r % len(bcregs)]}"
            a(f"\tVBROADCASTSS {(koff*mr + r)*4}(SI), {bc}")
            for v in range(nvec):
                a(f"\tVFMADD231PS {vec}{breg+v}, {bc}, {acc(r, v)}")
    a("\tMOVQ CX, R9")
    a("\tSHRQ $2, R9")
    a("\tJZ tail")
    a("loop4:")
    for k in range(4):
        step(k)
    a(f"\tADDQ ${4*mr*4}, SI")
    a(f"\tADDQ ${4*nr*4}, DI")
    a("\tDECQ R9")
    a("\tJNZ loop4")
    a("tail:")
    a("\tANDQ $3, CX")
    a("\tJZ store")
    a("loop1:")
    step(0)
    a(f"\tADDQ ${mr*4}, SI")
    a(f"\tADDQ ${nr*4}, DI")
    a("\tDECQ CX")
    a("\tJNZ loop1")
    a("store:")
    # row pointers: rows 0..2 from DX, 3..5 from R10, 6..8 from R11, 9..11 from R12
    bases = ["DX", "R10", "R11", "R12", "R13"]
    a("\tLEAQ (DX)(R8*2), R10")
    a("\tADDQ R8, R10")
    for i in range(2, (mr + 2) // 3):
        a(f"\tLEAQ ({bases[i-1]})(R8*2), {bases[i]}")
        a(f"\tADDQ R8, {bases[i]}")
    def row(r):
        b = bases[r // 3]
        return {0: f"({b})", 1: f"({b})(R8*1)", 2: f"({b})(R8*2)"}[r % 3]
    def rowoff(r, v):
        b = bases[r // 3]
        off = v * wbytes
        pre = f"{off}" if off else ""
        return {0: f"{pre}({b})", 1: f"{pre}({b})(R8*1)", 2: f"{pre}({b})(R8*2)"}[r % 3]
    t = f"{vec}{breg}"
    t2 = f"{vec}{breg+1}"
    a("\tMOVQ flags+40(FP), AX")
    a("\tTESTQ $1, AX")
    a("\tJZ bias")
    for r in range(mr):
        for v in range(nvec):
            a(f"\tVADDPS {rowoff(r, v)}, {acc(r, v)}, {acc(r, v)}")
    a("bias:")
    a("\tTESTQ $2, AX")
    a("\tJZ clamp")
    a("\tMOVQ bias+48(FP), BX")
    for r in range(mr):
        a(f"\tVBROADCASTSS {4*r}(BX), {t}")
        for v in range(nvec):
            a(f"\tVADDPS {t}, {acc(r, v)}, {acc(r, v)}")
    a("clamp:")
    a("\tTESTQ $4, AX")
    a("\tJZ write")
    a(f"\tVBROADCASTSS lo+56(FP), {t}")
    a(f"\tVBROADCASTSS hi+60(FP), {t2}")
    for r in range(mr):
        for v in range(nvec):
            a(f"\tVMAXPS {t}, {acc(r, v)}, {acc(r, v)}")
            a(f"\tVMINPS {t2}, {acc(r, v)}, {acc(r, v)}")
    a("write:")
    for r in range(mr):
        for v in range(nvec):
            a(f"\tVMOVUPS {acc(r, v)}, {rowoff(r, v)}")
    a("\tVZEROUPPER")
    a("\tRET")
    return "\n".join(L) + "\n"

def dw_kernel(name, vec, nacc, wbytes):
    lanes = 8 if vec == 'Y' else 16
    blk = nacc * lanes
    L = []
    a = L.append
    a(f"// func {name}(dst *float32, n int, src *float32, offs *int, w *float32, ntaps int, bias, lo, hi float32)")
    a(f"TEXT ·{name}(SB), NOSPLIT, $0-60")
    a("\tMOVQ dst+0(FP), DI")
    a("\tMOVQ n+8(FP), CX")
    a("\tMOVQ src+16(FP), SI")
    a("\tMOVQ offs+24(FP), R8")
    a("\tMOVQ w+32(FP), R9")
    a("\tMOVQ ntaps+40(FP), R10")
    b, lo, hi, wr = f"{vec}12", f"{vec}13", f"{vec}14", f"{vec}15"
    if vec == 'Z':
        b, lo, hi, wr = "Z28", "Z29", "Z30", "Z31"
    a(f"\tVBROADCASTSS bias+48(FP), {b}")
    a(f"\tVBROADCASTSS lo+52(FP), {lo}")
    a(f"\tVBROADCASTSS hi+56(FP), {hi}")
    a("block:")
    for i in range(nacc):
        a(f"\tVMOVAPS {b}, {vec}{i}")
    a("\tXORQ R11, R11")
    a("tap:")
    a("\tMOVQ (R8)(R11*8), AX")
    a("\tLEAQ (SI)(AX*4), AX")
    a(f"\tVBROADCASTSS (R9)(R11*4), {wr}")
    for i in range(nacc):
        off = i * wbytes
        a(f"\tVFMADD231PS {off if off else ''}(AX), {wr}, {vec}{i}")
    a("\tINCQ R11")
    a("\tCMPQ R11, R10")
    a("\tJLT tap")
    for i in range(nacc):
        a(f"\tVMAXPS {lo}, {vec}{i}, {vec}{i}")
        a(f"\tVMINPS {hi}, {vec}{i}, {vec}{i}")
        off = i * wbytes
        a(f"\tVMOVUPS {vec}{i}, {off if off else ''}(DI)")
    a(f"\tADDQ ${blk*4}, DI")
    a(f"\tADDQ ${blk*4}, SI")
    a(f"\tSUBQ ${blk}, CX")
    a("\tJGT block")
    a("\tVZEROUPPER")
    a("\tRET")
    return "\n".join(L) + "\n"

def pack_rows(name, vec, nvec, wbytes):
    L = []
    a = L.append
    a(f"// func {name}(dst, src *float32, offs *int, kc int)")
    a(f"TEXT ·{name}(SB), NOSPLIT, $0-32")
    a("\tMOVQ dst+0(FP), DI")
    a("\tMOVQ src+8(FP), SI")
    a("\tMOVQ offs+16(FP), R8")
    a("\tMOVQ kc+24(FP), CX")
    a("loop:")
    a("\tMOVQ (R8), AX")
    a("\tLEAQ (SI)(AX*4), AX")
    for v in range(nvec):
        off = v * wbytes
        a(f"\tVMOVUPS {off if off else ''}(AX), {vec}{v}")
    for v in range(nvec):
        off = v * wbytes
        a(f"\tVMOVUPS {vec}{v}, {off if off else ''}(DI)")
    a(f"\tADDQ $8, R8")
    a(f"\tADDQ ${nvec*wbytes}, DI")
    a("\tDECQ CX")
    a("\tJNZ loop")
    a("\tVZEROUPPER")
    a("\tRET")
    return "\n".join(L) + "\n"

def deinterleave():
    return """// func deinterleave2AVX2(even, odd, src *float32, n int)
TEXT ·deinterleave2AVX2(SB), NOSPLIT, $0-32
	MOVQ even+0(FP), DI
	MOVQ odd+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ n+24(FP), CX
loop8:
	CMPQ CX, $8
	JLT tail
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VSHUFPS $0x88, Y1, Y0, Y2
	VSHUFPS $0xDD, Y1, Y0, Y3
	VPERMPD $0xD8, Y2, Y2
	VPERMPD $0xD8, Y3, Y3
	VMOVUPS Y2, (DI)
	VMOVUPS Y3, (R8)
	ADDQ $64, SI
	ADDQ $32, DI
	ADDQ $32, R8
	SUBQ $8, CX
	JMP loop8
tail:
	TESTQ CX, CX
	JEQ done
	MOVSS (SI), X0
	MOVSS X0, (DI)
	MOVSS 4(SI), X0
	MOVSS X0, (R8)
	ADDQ $8, SI
	ADDQ $4, DI
	ADDQ $4, R8
	DECQ CX
	JMP tail
done:
	VZEROUPPER
	RET
"""

hdr = "// Code generated by gen_asm.py; DO NOT EDIT.\n\n//go:build amd64 && !purego\n\n#include \"textflag.h\"\n\n"
avx2 = hdr + gemm_kernel("sgemm6x16AVX2", 6, 'Y', 2, 4, 0, [2, 3], 32) + "\n" + dw_kernel("dwFlatAVX2", 'Y', 8, 32) + "\n" + pack_rows("packRows16AVX2", 'Y', 2, 32) + "\n" + deinterleave()
avx512 = hdr + gemm_kernel("sgemm8x32AVX512", 8, 'Z', 2, 8, 0, [2, 3, 4, 5], 64) + "\n" + dw_kernel("dwFlatAVX512", "Z", 4, 64) + "\n" + pack_rows("packRows32AVX512", 'Z', 2, 64)
import sys
out = sys.argv[1]
open(out + "/gemm_avx2_amd64.s", "w").write(avx2)
open(out + "/gemm_avx512_amd64.s", "w").write(avx512)
