import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { type DetectResult, demo, detect, type Io, report, simulate, train } from '../src/index.js';

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const quiet: Io = { out: () => undefined, err: () => undefined, interactive: false };

function launch(): Promise<Browser> {
  expect(existsSync(executablePath), `Chromium not found at ${executablePath}`).toBe(true);
  return chromium.launch({
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
}

/** A page that collects console errors, page errors and network requests (the report needs none). */
async function open(browser: Browser) {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('request', (request) => {
    if (!request.url().startsWith('file:')) problems.push(`network request: ${request.url()}`);
  });
  return { page, problems };
}

/** Canvases with drawn pixels (not all transparent or white), per canvas. */
const INKED = () =>
  [...document.querySelectorAll('canvas')].map((canvas) => {
    const context = canvas.getContext('2d')!;
    const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
    let inked = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3]! > 0 && (data[i]! < 240 || data[i + 1]! < 240 || data[i + 2]! < 240)) inked++;
    }
    return inked;
  });

describe('the demo report in headless Chromium', () => {
  it('opens without console errors and draws every chart', async () => {
    const home = join(mkdtempSync(join(tmpdir(), 'harombe-report-')), '.harombe');
    await demo({ seed: 7, agents: 10, historyDays: 14, liveDays: 5, home, contamination: 0.01 }, quiet);
    const browser = await launch();
    try {
      const { page, problems } = await open(browser);
      await page.goto(`file://${join(home, 'report.html')}`);
      await page.waitForSelector('body[data-rendered="true"]', { timeout: 30_000 });
      expect(problems).toEqual([]);
      // Every chart's canvas has drawn pixels (not all transparent or white).
      const charts = await page.evaluate(INKED);
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

  it('renders a report of detect output without console errors: every alert, sortable, a timeline per agent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'harombe-report-'));
    const history = join(dir, 'history.jsonl');
    const live = join(dir, 'live.jsonl');
    const zones = join(dir, 'zones.json');
    simulate({ seed: 3, agents: 6, historyDays: 14, liveDays: 4, history, live, timeZones: zones }, quiet);
    const store = join(dir, 'models');
    await train({ events: history, store, contamination: 0.01, strict: false, timeZones: zones }, quiet);
    const lines: string[] = [];
    await detect(
      { events: live, store, contamination: 0.01, strict: false, format: 'jsonl' },
      { ...quiet, out: (line) => lines.push(line) },
    );
    const results = join(dir, 'results.jsonl');
    writeFileSync(results, `${lines.join('\n')}\n`);
    const alerts = lines.map((line) => JSON.parse(line) as DetectResult).filter((r) => r.isThreat);
    const out = join(dir, 'report.html');
    await report({ results, out, timeZones: zones }, quiet);
    const browser = await launch();
    try {
      const { page, problems } = await open(browser);
      await page.goto(`file://${out}`);
      await page.waitForSelector('body[data-rendered="true"]', { timeout: 30_000 });
      expect(problems).toEqual([]);
      expect(await page.locator('#alerts tbody tr').count()).toBe(alerts.length);
      const charts = await page.evaluate(INKED);
      expect(charts.length).toBe(6);
      for (const inked of charts) expect(inked).toBeGreaterThan(200);
      // Sorting by score (5th column): descending, then ascending.
      const scores = () =>
        page.$$eval('#alerts tbody tr', (rows) => rows.map((r) => Number(r.children[4]!.textContent)));
      await page.click('#alerts th:nth-child(5)');
      const down = await scores();
      expect(down).toEqual([...down].sort((a, b) => b - a));
      await page.click('#alerts th:nth-child(5)');
      const up = await scores();
      expect(up).toEqual([...up].sort((a, b) => a - b));
      expect(readFileSync(out, 'utf8')).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
      writeFileSync(join(dir, 'report.png'), await page.screenshot({ fullPage: true }));
    } finally {
      await browser.close();
    }
  });
});
