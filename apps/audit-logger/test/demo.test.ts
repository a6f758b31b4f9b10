import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../src/demo.js';
import { fleet, tempDir } from './helpers.js';

describe('the demo', () => {
  it('shows the call burst as one incident announced a few times, and lists incidents', async () => {
    const lines: string[] = [];
    const result = await runDemo({
      dir: await tempDir(),
      seed: 7,
      fleet: () => fleet,
      print: (line) => lines.push(line),
      log: pino({ level: 'silent' }),
    });
    const burst = result.scenarios.get('call-burst')!;
    expect(burst.alerts).toBeGreaterThan(100);
    expect(burst.incidents).toBe(1);
    expect(burst.notices).toBeGreaterThanOrEqual(1);
    expect(burst.notices).toBeLessThanOrEqual(4);
    expect(result.notices.length).toBeLessThan(result.alerts.length / 10);
    const output = lines.join('\n');
    expect(output).toContain('incidents, most serious first');
    expect(output).toContain(`${result.alerts.length} alerts in ${result.incidents.length} incidents`);
    expect(output).toContain(result.incidents[0]!.id);
  }, 120_000);
});
