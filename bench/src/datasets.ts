// The outlier-detection benchmark sets: CSV files (features, then a 0/1 `label` column) and
// scikit-learn's reference figures. They live outside the repository; nothing here copies them.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RowMajorMatrix } from '@harombe/isolation-forest';

export interface Dataset {
  readonly name: string;
  readonly matrix: RowMajorMatrix;
  readonly labels: Uint8Array;
}

export interface SklearnReference {
  readonly rows: number;
  readonly dims: number;
  readonly auc_mean: number;
  readonly auc_std: number;
  readonly aucs: readonly number[];
  readonly fit_ms_median: number;
  readonly score_ms_median: number;
}

export interface ReferenceFile {
  readonly sklearn: string;
  readonly cpu: string;
  readonly nproc: number;
  readonly datasets: Readonly<Record<string, SklearnReference>>;
}

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '../..');

/** `HAROMBE_DATASETS`, else `../shared/datasets` beside the repository; undefined when absent. */
export function datasetsDirectory(): string | undefined {
  const candidates = [process.env.HAROMBE_DATASETS, join(repoRoot, '../shared/datasets')];
  return candidates.find((dir): dir is string => dir !== undefined && dir !== '' && existsSync(dir));
}

export function loadReference(dir: string): ReferenceFile | undefined {
  const file = join(dir, 'reference-sklearn.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ReferenceFile) : undefined;
}

/** Data set names, smallest file first, optionally filtered by `HAROMBE_ONLY=name,name`. */
export function datasetNames(dir: string): string[] {
  const only = process.env.HAROMBE_ONLY?.split(',').filter(Boolean);
  return readdirSync(dir)
    .filter((file) => file.endsWith('.csv'))
    .map((file) => file.slice(0, -4))
    .filter((name) => !only || only.includes(name))
    .sort((a, b) => readFileSync(join(dir, `${a}.csv`)).length - readFileSync(join(dir, `${b}.csv`)).length);
}

/** Parses one CSV into a row-major matrix and its labels (the last column). */
export function loadDataset(dir: string, name: string): Dataset {
  const lines = readFileSync(join(dir, `${name}.csv`), 'utf8').split('\n');
  const header = lines[0]!.split(',');
  const columns = header.length - 1;
  if (header[columns] !== 'label') throw new Error(`${name}.csv: the last column must be "label"`);
  const body = lines.slice(1).filter((line) => line.trim() !== '');
  const data = new Float64Array(body.length * columns);
  const labels = new Uint8Array(body.length);
  body.forEach((line, r) => {
    const fields = line.split(',');
    if (fields.length !== columns + 1) throw new Error(`${name}.csv line ${r + 2}: ${fields.length} fields`);
    for (let c = 0; c < columns; c++) data[r * columns + c] = Number(fields[c]);
    labels[r] = Number(fields[columns]);
  });
  return { name, matrix: { data, rows: body.length, columns }, labels };
}
