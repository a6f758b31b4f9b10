// Child process for the crash test: saves ever-changing artifacts of one agent in a loop until killed.
import { FileModelStore } from '../src/index.js';

const [directory, keyText] = process.argv.slice(2);
const store = new FileModelStore({
  directory: directory!,
  key: keyText === 'plain' ? null : keyText,
  compression: 'gzip',
});
let round = 0;
process.send?.('ready');
for (;;) {
  round++;
  const body = { round, trees: Array.from({ length: 2000 }, (_, i) => (i * round) % 997) };
  await Promise.all([
    store.save('agent/../crash', 'detector', body),
    store.save('agent/../crash', 'baseline', { round }),
  ]);
}
