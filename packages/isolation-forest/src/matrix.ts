// Input matrices: `number[][]` or a row-major Float64Array with its shape. Everything is checked
// once on the way in (shape, NaN, infinities) so that the hot loops can trust their data.
import { ForestInputError } from './errors.js';

/** A dense row-major matrix: row `r`, column `c` is `data[r * columns + c]`. */
export interface RowMajorMatrix {
  readonly data: Float64Array;
  readonly rows: number;
  readonly columns: number;
}

/**
 * What `fit` and the batch methods accept. A bare Float64Array is read row-major with the fitted
 * number of columns (scoring only).
 */
export type MatrixInput = readonly (readonly number[])[] | RowMajorMatrix | Float64Array;

function isRowMajor(input: MatrixInput): input is RowMajorMatrix {
  return !Array.isArray(input) && !(input instanceof Float64Array);
}

function checkValue(value: number, row: number, column: number, method: string): void {
  // Typeof and finiteness in one test: anything that is not a finite number fails.
  if (!Number.isFinite(value)) {
    const what = typeof value === 'number' ? String(value) : typeof value;
    throw new ForestInputError(
      `${method}: row ${row}, column ${column} is ${what}; expected a finite number`,
      {
        row,
        column,
      },
    );
  }
}

/**
 * Validates a matrix and returns it row-major. A RowMajorMatrix is checked and used as is (no
 * copy); `number[][]` is copied once. `expectedColumns` enforces the fitted width.
 */
export function toRowMajor(input: MatrixInput, method: string, expectedColumns?: number): RowMajorMatrix {
  if (input instanceof Float64Array) {
    if (expectedColumns === undefined) {
      throw new ForestInputError(`${method}: pass { data, rows, columns } so the shape is known`);
    }
    if (input.length % expectedColumns !== 0) {
      throw new ForestInputError(
        `${method}: ${input.length} values are not whole rows of ${expectedColumns} columns`,
      );
    }
    input = { data: input, rows: input.length / expectedColumns, columns: expectedColumns };
  }
  if (isRowMajor(input)) {
    const { data, rows, columns } = input;
    if (!(data instanceof Float64Array)) {
      throw new ForestInputError(`${method}: a row-major matrix needs its data as a Float64Array`);
    }
    if (!Number.isInteger(rows) || !Number.isInteger(columns) || rows < 0 || columns < 1) {
      throw new ForestInputError(`${method}: matrix shape ${rows} x ${columns} is not valid`);
    }
    if (data.length < rows * columns) {
      throw new ForestInputError(
        `${method}: matrix data has ${data.length} values, ${rows} x ${columns} needs ${rows * columns}`,
      );
    }
    checkColumns(columns, expectedColumns, method);
    for (let r = 0; r < rows; r++) {
      const offset = r * columns;
      for (let c = 0; c < columns; c++) checkValue(data[offset + c]!, r, c, method);
    }
    return input;
  }
  if (!Array.isArray(input)) throw new ForestInputError(`${method}: expected number[][] or a RowMajorMatrix`);
  const rows = input.length;
  const first = input[0];
  const columns = expectedColumns ?? (Array.isArray(first) ? first.length : 0);
  if (rows > 0 && columns < 1)
    throw new ForestInputError(`${method}: rows must have at least one column`, { row: 0 });
  const data = new Float64Array(rows * columns);
  for (let r = 0; r < rows; r++) {
    const row = input[r];
    if (!Array.isArray(row)) throw new ForestInputError(`${method}: row ${r} is not an array`, { row: r });
    if (row.length !== columns) {
      throw new ForestInputError(`${method}: row ${r} has ${row.length} columns, expected ${columns}`, {
        row: r,
      });
    }
    const offset = r * columns;
    for (let c = 0; c < columns; c++) {
      const value = row[c]!;
      checkValue(value, r, c, method);
      data[offset + c] = value;
    }
  }
  return { data, rows, columns };
}

function checkColumns(columns: number, expected: number | undefined, method: string): void {
  if (expected !== undefined && columns !== expected) {
    throw new ForestInputError(
      `${method}: rows have ${columns} columns, the forest was fitted on ${expected}`,
    );
  }
}

/** Validates one row against the fitted width, without copying. */
export function checkRow(row: ArrayLike<number>, columns: number, method: string): void {
  if (row === null || typeof row !== 'object' || typeof row.length !== 'number') {
    throw new ForestInputError(`${method}: expected a row of ${columns} numbers`);
  }
  if (row.length !== columns) {
    throw new ForestInputError(
      `${method}: row has ${row.length} columns, the forest was fitted on ${columns}`,
    );
  }
  for (let c = 0; c < columns; c++) checkValue(row[c]!, 0, c, method);
}
