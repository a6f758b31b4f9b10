// Child process for the crash test: saves ever-changing artifacts of one agent in a loop until killed.
import { FileModelStore } from '../src/index.js';

const [directory, keyText] = process.argv.slice(2);
const store = new FileModelStore({
  directory: directory!,
  key: keyText === 'plain' ? null : keyText,
  compression: 'gzip',
});
let round = 0;
for (;;) {
  round++;
  const body = { round, trees: Array.from({ length: 2000 }, (_, i) => (i * round) % 997) };
  await Promise.all([
    store.save('agent/../crash', 'detector', body),
    store.save('agent/../crash', 'baseline', { round }),
  ]);
  // Ready once a first round is saved: the kills land during later saves, however slow the machine
  // (on a loaded one the first save could outlast every kill delay, leaving nothing to check).
  if (round === 1) process.send?.('ready');
}
