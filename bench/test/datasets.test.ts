import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasetNames, loadDataset } from '../src/datasets.js';
import { meanAndStd, percentile } from '../src/stats.js';

describe('data set loading', () => {
  it('reads features row-major and the label column', () => {
    const dir = mkdtempSync(join(tmpdir(), 'harombe-bench-'));
    writeFileSync(join(dir, 'tiny.csv'), 'f0,f1,label\n1,2,0\n3.5,-4,1\n');
    const { matrix, labels } = loadDataset(dir, 'tiny');
    expect(matrix).toMatchObject({ rows: 2, columns: 2 });
    expect(Array.from(matrix.data)).toEqual([1, 2, 3.5, -4]);
    expect(Array.from(labels)).toEqual([0, 1]);
    expect(datasetNames(dir)).toEqual(['tiny']);
  });

  it('refuses files without a label column or with ragged lines', () => {
    const dir = mkdtempSync(join(tmpdir(), 'harombe-bench-'));
    writeFileSync(join(dir, 'bad.csv'), 'f0,f1\n1,2\n');
    expect(() => loadDataset(dir, 'bad')).toThrow('last column must be "label"');
    writeFileSync(join(dir, 'ragged.csv'), 'f0,label\n1,0\n1,2,0\n');
    expect(() => loadDataset(dir, 'ragged')).toThrow('line 3');
  });
});

describe('summary statistics', () => {
  it('computes mean, sample standard deviation and percentiles', () => {
    expect(meanAndStd([1, 2, 3, 4])).toEqual({ mean: 2.5, std: Math.sqrt(5 / 3) });
    expect(percentile([5, 1, 4, 2, 3], 0.5)).toBe(3);
    expect(percentile([5, 1, 4, 2, 3], 0.99)).toBe(5);
  });
});
