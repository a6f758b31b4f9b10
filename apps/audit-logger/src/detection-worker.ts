// The detection worker thread: hosts a DetectionEngine so that assessing events never runs on the
// logger's thread. Messages in and out are the plain objects of `protocol.ts`.
import { parentPort, workerData } from 'node:worker_threads';
import { DetectionEngine } from './engine.js';
import type { WorkerData, WorkerReply, WorkerRequest } from './protocol.js';
import type { DecisionRecord } from './store.js';

const port = parentPort!;
const data = workerData as WorkerData;
const reply = (message: WorkerReply) => port.postMessage(message);

try {
  const engine = new DetectionEngine(data.engine);
  const summary = await engine.prepare(data.trainOnStart);
  reply({ type: 'ready', ...summary });
  // Assessments run one batch at a time, in the order they came: windows and baselines learn in order.
  let assessing = Promise.resolve();
  port.on('message', async (request: WorkerRequest) => {
    try {
      switch (request.type) {
        case 'assess':
          assessing = assessing.then(async () => {
            let decisions: DecisionRecord[];
            try {
              decisions = await engine.assessRows(request.rows, data.recordAllDecisions);
            } catch (error) {
              // Every event of the batch is answered, so the plugin's count of events in flight holds.
              const reason = (error as Error).message;
              decisions = request.rows.map((eventRow) => ({ eventRow, outcome: 'failed', reason }));
            }
            reply({ type: 'decisions', processed: request.rows.length, decisions });
          });
          await assessing;
          break;
        case 'feedback':
          reply({ type: 'feedback-applied', alertIds: await engine.feedback(request.items) });
          break;
        case 'retrain':
          reply({ type: 'retrained', ...(await engine.trainAll()) });
          break;
        case 'close':
          engine.close();
          port.close();
          break;
      }
    } catch (error) {
      reply({ type: 'error', request: request.type, message: (error as Error).message });
    }
  });
} catch (error) {
  reply({ type: 'error', request: 'start', message: (error as Error).message });
}
