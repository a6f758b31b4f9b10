import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { demo, type Io } from '../src/index.js';

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const quiet: Io = { out: () => undefined, err: () => undefined, interactive: false };

describe('the demo report in headless Chromium', () => {
  it('opens without console errors and draws every chart', async () => {
    expect(existsSync(executablePath), `Chromium not found at ${executablePath}`).toBe(true);
    const home = join(mkdtempSync(join(tmpdir(), 'harombe-report-')), '.harombe');
    await demo({ seed: 7, agents: 10, historyDays: 14, liveDays: 5, home, contamination: 0.01 }, quiet);
    const browser = await chromium.launch({
      executablePath,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const problems: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(message.text());
      });
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('request', (request) => {
        if (!request.url().startsWith('file:')) problems.push(`network request: ${request.url()}`);
      });
      await page.goto(`file://${join(home, 'report.html')}`);
      await page.waitForSelector('body[data-rendered="true"]', { timeout: 30_000 });
      expect(problems).toEqual([]);
      // Every chart's canvas has drawn pixels (not all transparent or white).
      const charts = await page.evaluate(() =>
        [...document.querySelectorAll('canvas')].map((canvas) => {
          const context = canvas.getContext('2d')!;
          const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
          let inked = 0;
          for (let i = 0; i < data.length; i += 4) {
            if (data[i + 3]! > 0 && (data[i]! < 240 || data[i + 1]! < 240 || data[i + 2]! < 240)) inked++;
          }
          return inked;
        }),
      );
      // Two bar charts and one timeline per agent.
      expect(charts.length).toBe(2 + 10);
      for (const inked of charts) expect(inked).toBeGreaterThan(200);
      const screenshot = await page.screenshot({ fullPage: true });
      writeFileSync(join(home, 'report.png'), screenshot);
      expect(screenshot.length).toBeGreaterThan(50_000);
    } finally {
      await browser.close();
    }
  });
});
