// ort.mjs times ONNX Runtime's forward pass of one model, for CAMscope's
// side-by-side speed table. Not part of the program or its tests.
//
//   node ort.mjs --model FILE.onnx [--runs 20] [--warmup 3] [--threads 2] [--batch N]
//
// Prints one line: "ort MODEL batch N median MS ms min MS max MS runs R
// images/s X". The input is uniform noise in [-1,1] (timing does not depend
// on it). --batch N needs a model whose first input dimension is dynamic or N.
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';

const { values: opt } = parseArgs({
  options: {
    model: { type: 'string' },
    runs: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
    batch: { type: 'string', default: '1' },
  },
});
if (!opt.model) {
  console.error('ort.mjs: --model FILE.onnx is required');
  process.exit(2);
}
const runs = Number(opt.runs), warmup = Number(opt.warmup), batch = Number(opt.batch);
const session = await ort.InferenceSession.create(opt.model, {
  intraOpNumThreads: Number(opt.threads),
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  executionMode: 'sequential',
});
const feeds = {};
for (const meta of session.inputMetadata) {
  const shape = meta.shape.map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? batch : 1));
  if (shape[0] !== batch) {
    console.error(`ort.mjs: ${opt.model}: input ${meta.name} has batch ${shape[0]} fixed; make a copy with a dynamic batch (go run ./tools/rebatch) to time batch ${batch}`);
    process.exit(1);
  }
  const n = shape.reduce((a, b) => a * b, 1);
  if (meta.type === 'int64') {
    feeds[meta.name] = new ort.Tensor('int64', new BigInt64Array(n), shape);
  } else {
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = Math.random() * 2 - 1;
    feeds[meta.name] = new ort.Tensor('float32', data, shape);
  }
}
const times = [];
for (let i = 0; i < warmup + runs; i++) {
  const t0 = process.hrtime.bigint();
  await session.run(feeds);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (i >= warmup) times.push(ms);
}
times.sort((a, b) => a - b);
const med = times[Math.floor(times.length / 2)];
console.log(`ort ${opt.model} batch ${batch} median ${med.toFixed(2)} ms min ${times[0].toFixed(2)} max ${times[times.length - 1].toFixed(2)} runs ${runs} images/s ${(batch * 1000 / med).toFixed(1)}`);
