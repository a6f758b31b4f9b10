// The detection worker thread: hosts a DetectionEngine so that assessing events, and storing the
// decisions and alerts, never runs on the logger's thread. Messages in and out are the plain objects
// of `protocol.ts`.
import { parentPort, workerData } from 'node:worker_threads';
import { DetectionEngine, type RecordOptions } from './engine.js';
import type { WorkerData, WorkerReply, WorkerRequest } from './protocol.js';

const port = parentPort!;
const data = workerData as WorkerData;
const reply = (message: WorkerReply) => port.postMessage(message);
const recording = (now: number): RecordOptions => ({
  all: data.recordAllDecisions,
  alertAt: data.alertAt,
  now,
});

try {
  const engine = await DetectionEngine.open(data.engine);
  const summary = await engine.prepare(data.trainOnStart);
  reply({ type: 'ready', ...summary, caughtUp: await engine.catchUp(data.startedAt) });
  // Requests run one at a time, in the order they came: windows and baselines learn in order.
  let queue = Promise.resolve();
  const handle = async (request: WorkerRequest): Promise<WorkerReply | undefined> => {
    switch (request.type) {
      case 'assess': {
        const outcome = await engine.assessAndRecord(request.rows, recording(request.now));
        return { type: 'assessed', processed: request.rows.length, ...outcome };
      }
      case 'skip':
        await engine.recordSkipped(request.rows, request.reason, recording(request.now));
        return { type: 'skip-recorded' };
      case 'backfill':
        return { type: 'backfilled', ...(await engine.backfill(request.limit, recording(request.now))) };
      case 'feedback':
        return { type: 'feedback-applied', ...(await engine.applyPendingFeedback()) };
      case 'retrain':
        return { type: 'retrained', ...(await engine.trainAll()) };
      case 'retention':
        return { type: 'retained', outcome: (await engine.applyRetention(request.days)) ?? null };
      case 'close':
        await engine.close();
        port.close();
        return undefined;
    }
  };
  port.on('message', (request: WorkerRequest) => {
    queue = queue.then(async () => {
      try {
        const answer = await handle(request);
        if (answer) reply(answer);
      } catch (error) {
        reply({ type: 'error', request: request.type, message: (error as Error).message });
      }
    });
  });
} catch (error) {
  reply({ type: 'error', request: 'start', message: (error as Error).message });
}
