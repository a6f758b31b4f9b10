import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

describe('harombe-gateway --version', () => {
  it('prints the package version and exits 0', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', main, '--version']);
    expect(stdout.trim()).toBe(version);
  }, 60_000);
});

describe('harombe-gateway client | head', () => {
  it('stops quietly with exit 0 when its reader goes away', async () => {
    const { startHarness, TOKENS } = await import('./helpers.js');
    const h = await startHarness();
    try {
      const command = `set -o pipefail; "${process.execPath}" --import tsx "${main}" client --url ${h.url.href} --token ${TOKENS['ops-bot']} --docs-host ${h.docsHost} | head -1`;
      const result = await promisify(execFile)('bash', ['-c', command]).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
      expect(result.stdout).toMatch(/^tools: /);
      expect(result.stderr).not.toMatch(/EPIPE|Error/);
      expect(result.code).toBe(0);
    } finally {
      await h.close();
    }
  }, 60_000);
});
