// Runs ml-isolation-forest (the JavaScript peer) in a worker so the benchmark can stop it at a
// time cap. It trains on every row (no subsampling) and scores with Math.random-built trees.
import { parentPort, workerData } from 'node:worker_threads';
import { IsolationForest } from 'ml-isolation-forest';

const { data, rows, columns } = workerData;
const matrix = [];
for (let r = 0; r < rows; r++) matrix.push(Array.from(data.subarray(r * columns, (r + 1) * columns)));
let start = performance.now();
const forest = new IsolationForest({ nEstimators: 100 });
forest.train(matrix);
const fitMs = performance.now() - start;
parentPort.postMessage({ phase: 'fit', fitMs });
start = performance.now();
const scores = forest.predict(matrix);
const scoreMs = performance.now() - start;
parentPort.postMessage({ phase: 'done', fitMs, scoreMs, scores: Float64Array.from(scores) });
