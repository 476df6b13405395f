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

def deinterleave_rows():
    return """// func deinterleaveRowsAVX2(even *float32, es int, odd *float32, os int, src *float32, ss, rows, n int)
TEXT ·deinterleaveRowsAVX2(SB), NOSPLIT, $0-64
\tMOVQ even+0(FP), DI
\tMOVQ es+8(FP), R9
\tSHLQ $2, R9
\tMOVQ odd+16(FP), R8
\tMOVQ os+24(FP), R10
\tSHLQ $2, R10
\tMOVQ src+32(FP), SI
\tMOVQ ss+40(FP), R11
\tSHLQ $2, R11
\tMOVQ rows+48(FP), R12
row:
\tMOVQ n+56(FP), CX
\tMOVQ DI, AX
\tMOVQ R8, BX
\tMOVQ SI, DX
loop8:
\tCMPQ CX, $8
\tJLT tail
\tVMOVUPS (DX), Y0
\tVMOVUPS 32(DX), Y1
\tVSHUFPS $0x88, Y1, Y0, Y2
\tVSHUFPS $0xDD, Y1, Y0, Y3
\tVPERMPD $0xD8, Y2, Y2
\tVPERMPD $0xD8, Y3, Y3
\tVMOVUPS Y2, (AX)
\tVMOVUPS Y3, (BX)
\tADDQ $64, DX
\tADDQ $32, AX
\tADDQ $32, BX
\tSUBQ $8, CX
\tJMP loop8
tail:
\tTESTQ CX, CX
\tJEQ next
\tMOVSS (DX), X0
\tMOVSS X0, (AX)
\tMOVSS 4(DX), X0
\tMOVSS X0, (BX)
\tADDQ $8, DX
\tADDQ $4, AX
\tADDQ $4, BX
\tDECQ CX
\tJMP tail
next:
\tADDQ R9, DI
\tADDQ R10, R8
\tADDQ R11, SI
\tDECQ R12
\tJNZ row
\tVZEROUPPER
\tRET
"""

def copy_rows():
    return """// func copyRowsAVX2(dst *float32, ds int, src *float32, ss, rows, n int)
TEXT ·copyRowsAVX2(SB), NOSPLIT, $0-48
\tMOVQ dst+0(FP), DI
\tMOVQ ds+8(FP), R9
\tSHLQ $2, R9
\tMOVQ src+16(FP), SI
\tMOVQ ss+24(FP), R11
\tSHLQ $2, R11
\tMOVQ rows+32(FP), R12
row:
\tMOVQ n+40(FP), CX
\tMOVQ DI, AX
\tMOVQ SI, DX
loop16:
\tCMPQ CX, $16
\tJLT loop8
\tVMOVUPS (DX), Y0
\tVMOVUPS 32(DX), Y1
\tVMOVUPS Y0, (AX)
\tVMOVUPS Y1, 32(AX)
\tADDQ $64, DX
\tADDQ $64, AX
\tSUBQ $16, CX
\tJMP loop16
loop8:
\tCMPQ CX, $8
\tJLT tail
\tVMOVUPS (DX), Y0
\tVMOVUPS Y0, (AX)
\tADDQ $32, DX
\tADDQ $32, AX
\tSUBQ $8, CX
tail:
\tTESTQ CX, CX
\tJEQ next
\tMOVSS (DX), X0
\tMOVSS X0, (AX)
\tADDQ $4, DX
\tADDQ $4, AX
\tDECQ CX
\tJMP tail
next:
\tADDQ R9, DI
\tADDQ R11, SI
\tDECQ R12
\tJNZ row
\tVZEROUPPER
\tRET
"""

def dot_axpy():
    return """// func dotAVX2(x, y *float32, n int) float32
TEXT ·dotAVX2(SB), NOSPLIT, $0-28
\tMOVQ x+0(FP), SI
\tMOVQ y+8(FP), DI
\tMOVQ n+16(FP), CX
\tVXORPS Y0, Y0, Y0
\tVXORPS Y1, Y1, Y1
\tVXORPS Y2, Y2, Y2
\tVXORPS Y3, Y3, Y3
loop32:
\tCMPQ CX, $32
\tJLT loop8
\tVMOVUPS (SI), Y4
\tVMOVUPS 32(SI), Y5
\tVMOVUPS 64(SI), Y6
\tVMOVUPS 96(SI), Y7
\tVFMADD231PS (DI), Y4, Y0
\tVFMADD231PS 32(DI), Y5, Y1
\tVFMADD231PS 64(DI), Y6, Y2
\tVFMADD231PS 96(DI), Y7, Y3
\tADDQ $128, SI
\tADDQ $128, DI
\tSUBQ $32, CX
\tJMP loop32
loop8:
\tCMPQ CX, $8
\tJLT reduce
\tVMOVUPS (SI), Y4
\tVFMADD231PS (DI), Y4, Y0
\tADDQ $32, SI
\tADDQ $32, DI
\tSUBQ $8, CX
\tJMP loop8
reduce:
\tVADDPS Y1, Y0, Y0
\tVADDPS Y3, Y2, Y2
\tVADDPS Y2, Y0, Y0
\tVEXTRACTF128 $1, Y0, X1
\tVADDPS X1, X0, X0
\tVHADDPS X0, X0, X0
\tVHADDPS X0, X0, X0
tail:
\tTESTQ CX, CX
\tJEQ done
\tVMOVSS (SI), X1
\tVFMADD231SS (DI), X1, X0
\tADDQ $4, SI
\tADDQ $4, DI
\tDECQ CX
\tJMP tail
done:
\tVMOVSS X0, ret+24(FP)
\tVZEROUPPER
\tRET

// func axpyAVX2(dst, x *float32, a float32, n int)
TEXT ·axpyAVX2(SB), NOSPLIT, $0-32
\tMOVQ dst+0(FP), DI
\tMOVQ x+8(FP), SI
\tVBROADCASTSS a+16(FP), Y15
\tMOVQ n+24(FP), CX
loop32:
\tCMPQ CX, $32
\tJLT loop8
\tVMOVUPS (SI), Y0
\tVMOVUPS 32(SI), Y1
\tVMOVUPS 64(SI), Y2
\tVMOVUPS 96(SI), Y3
\tVFMADD213PS (DI), Y15, Y0
\tVFMADD213PS 32(DI), Y15, Y1
\tVFMADD213PS 64(DI), Y15, Y2
\tVFMADD213PS 96(DI), Y15, Y3
\tVMOVUPS Y0, (DI)
\tVMOVUPS Y1, 32(DI)
\tVMOVUPS Y2, 64(DI)
\tVMOVUPS Y3, 96(DI)
\tADDQ $128, SI
\tADDQ $128, DI
\tSUBQ $32, CX
\tJMP loop32
loop8:
\tCMPQ CX, $8
\tJLT tail
\tVMOVUPS (SI), Y0
\tVFMADD213PS (DI), Y15, Y0
\tVMOVUPS Y0, (DI)
\tADDQ $32, SI
\tADDQ $32, DI
\tSUBQ $8, CX
\tJMP loop8
tail:
\tTESTQ CX, CX
\tJEQ done
\tVMOVSS (SI), X0
\tVFMADD213SS (DI), X15, X0
\tVMOVSS X0, (DI)
\tADDQ $4, SI
\tADDQ $4, DI
\tDECQ CX
\tJMP tail
done:
\tVZEROUPPER
\tRET
"""

hdr = "// Code generated by gen_asm.py; DO NOT EDIT.\n\n//go:build amd64 && !purego\n\n#include \"textflag.h\"\n\n"
avx2 = hdr + gemm_kernel("sgemm6x16AVX2", 6, 'Y', 2, 4, 0, [2, 3], 32) + "\n" + dw_kernel("dwFlatAVX2", 'Y', 8, 32) + "\n" + pack_rows("packRows16AVX2", 'Y', 2, 32) + "\n" + deinterleave_rows() + "\n" + copy_rows() + "\n" + dot_axpy()
avx512 = hdr + gemm_kernel("sgemm8x32AVX512", 8, 'Z', 2, 8, 0, [2, 3, 4, 5], 64) + "\n" + dw_kernel("dwFlatAVX512", "Z", 4, 64) + "\n" + pack_rows("packRows32AVX512", 'Z', 2, 64)
import sys
out = sys.argv[1]
open(out + "/gemm_avx2_amd64.s", "w").write(avx2)
open(out + "/gemm_avx512_amd64.s", "w").write(avx512)
