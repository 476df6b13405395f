// ort.mjs times ONNX Runtime's forward pass of one model, for CAMscope's
// side-by-side speed table. Not part of the program or its tests.
//
//   node ort.mjs --model FILE.onnx [--runs 20] [--warmup 3] [--threads 2] [--batch N] [--layers]
//
// Prints one line: "ort MODEL batch N median MS ms min MS max MS runs R
// images/s X". With --layers it also prints each node of ONNX Runtime's
// optimised graph with its fastest and median time in microseconds (from
// ONNX Runtime's profiler, which adds a little to every run), to set
// beside `camscope bench --layers`. The input is uniform noise in [-1,1] (timing does not depend
// on it). --batch N needs a model whose first input dimension is dynamic or N.
import { parseArgs } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';

const { values: opt } = parseArgs({
  options: {
    model: { type: 'string' },
    runs: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
    batch: { type: 'string', default: '1' },
    layers: { type: 'boolean', default: false },
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
  enableProfiling: opt.layers,
  profileFilePrefix: path.join(os.tmpdir(), `ortbench-${process.pid}`),
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
if (opt.layers) {
  // The profile (a Chrome trace) holds one "NODE_kernel_time" event per
  // node and run, warm-up runs included: keep the timed runs' events.
  // endProfiling writes the file, named from profileFilePrefix.
  session.endProfiling();
  const prefix = `ortbench-${process.pid}`;
  const file = path.join(os.tmpdir(), fs.readdirSync(os.tmpdir()).find((f) => f.startsWith(prefix)));
  const events = JSON.parse(fs.readFileSync(file, 'utf8'));
  fs.unlinkSync(file);
  const nodes = new Map();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const name = e.name.slice(0, -'_kernel_time'.length);
    if (!nodes.has(name)) nodes.set(name, { op: e.args.op_name, times: [] });
    nodes.get(name).times.push(e.dur);
  }
  console.log(`layers    ${nodes.size} nodes, in µs (fastest and median of the timed runs):`);
  let i = 0, sum = 0;
  for (const [name, { op, times }] of nodes) {
    const t = times.slice(warmup).sort((a, b) => a - b);
    const m = t[Math.floor(t.length / 2)];
    sum += m;
    console.log(`${String(i++).padStart(4)}  ${op.padEnd(22)} ${name.slice(-44).padEnd(44)} ${t[0].toFixed(1).padStart(9)} ${m.toFixed(1).padStart(9)}`);
  }
  console.log(`steps     ${(sum / 1000).toFixed(2)} ms the sum of their medians`);
}
