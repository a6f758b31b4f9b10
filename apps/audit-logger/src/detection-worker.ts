// The detection worker thread: hosts a DetectionEngine so that assessing events never runs on the
// logger's thread. Messages in and out are the plain objects of `protocol.ts`.
import { parentPort, workerData } from 'node:worker_threads';
import { DetectionEngine } from './engine.js';
import type { WorkerData, WorkerReply, WorkerRequest } from './protocol.js';

const port = parentPort!;
const data = workerData as WorkerData;
const reply = (message: WorkerReply) => port.postMessage(message);

try {
  const engine = new DetectionEngine(data.engine);
  const summary = await engine.prepare(data.trainOnStart);
  reply({ type: 'ready', ...summary });
  port.on('message', async (request: WorkerRequest) => {
    try {
      switch (request.type) {
        case 'assess':
          reply({
            type: 'decisions',
            processed: request.items.length,
            decisions: engine.assess(request.items, data.recordAllDecisions),
          });
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
