// logits.mjs runs ONNX models through ONNX Runtime on one input and
// compares their first output with reference logits, for the check of
// tools/opsetup's upgraded files (README.md there). Not part of the
// program or its tests.
//
//   node logits.mjs --input input.npy --logits logits.npy [--tol 1e-4] A.onnx [B.onnx ...]
//
// Prints per model its opset, its operators' count and the largest
// difference from the logits relative to their largest magnitude; exits 1
// if a model fails to load or run, or differs by more than --tol.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';

const { values: opt, positionals: models } = parseArgs({
  options: {
    input: { type: 'string' },
    logits: { type: 'string' },
    tol: { type: 'string', default: '1e-4' },
  },
  allowPositionals: true,
});
if (!opt.input || !opt.logits || models.length === 0) {
  console.error('usage: node logits.mjs --input input.npy --logits logits.npy [--tol 1e-4] A.onnx [B.onnx ...]');
  process.exit(2);
}

// readNpy reads a little-endian float32 .npy file (format 1.0 to 3.0).
function readNpy(path) {
  const b = readFileSync(path);
  if (b.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${path}: not a .npy file`);
  const major = b[6];
  const hlen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + hlen;
  const header = b.toString('latin1', major === 1 ? 10 : 12, start);
  if (!header.includes("'<f4'") || header.includes("'fortran_order': True")) throw new Error(`${path}: not C-ordered float32`);
  const shape = header.match(/'shape': \(([^)]*)\)/)[1].split(',').map(s => s.trim()).filter(s => s).map(Number);
  const data = new Float32Array(b.buffer.slice(b.byteOffset + start, b.byteOffset + b.length));
  return { shape, data };
}

const x = readNpy(opt.input), want = readNpy(opt.logits), tol = Number(opt.tol);
const top = want.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
let failed = false;
for (const path of models) {
  try {
    const s = await ort.InferenceSession.create(path, { graphOptimizationLevel: 'disabled' });
    const out = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', x.data, x.shape) });
    const got = out[s.outputNames[0]].data;
    let d = 0;
    for (let i = 0; i < want.data.length; i++) d = Math.max(d, Math.abs(got[i] - want.data[i]));
    const rel = d / top;
    const ok = got.length === want.data.length && rel <= tol;
    failed ||= !ok;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${path}: logits within ${rel.toExponential(2)} of the largest`);
  } catch (e) {
    failed = true;
    console.log(`FAIL ${path}: ${e.message}`);
  }
}
process.exit(failed ? 1 : 0);
