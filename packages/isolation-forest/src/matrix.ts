// Input matrices: `number[][]` or a row-major Float64Array with its shape. Everything is checked
// once on the way in (shape, NaN, infinities) so that the hot loops can trust their data.
import { isHarombeError, messageOf } from '@harombe/models';
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
  // Each cell is read once (copied) or checked where it lies; anything a hostile input throws while
  // being read (a getter, a proxy trap) is a ForestInputError like any other bad input.
  try {
    return readMatrix(input, method, expectedColumns);
  } catch (error) {
    throw unreadable(error, `${method}: the matrix could not be read`);
  }
}

/** A harombe error as it is; anything else thrown while reading input as a ForestInputError. */
function unreadable(error: unknown, what: string): Error {
  if (isHarombeError(error)) return error as Error;
  return new ForestInputError(`${what}: ${messageOf(error)}`);
}

function readMatrix(input: MatrixInput, method: string, expectedColumns?: number): RowMajorMatrix {
  if (input === null || typeof input !== 'object') {
    throw new ForestInputError(`${method}: expected number[][] or a RowMajorMatrix`);
  }
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

/**
 * The row to score, validated against the fitted width: a Float64Array as it is, anything else
 * copied into `scratch` reading each cell once (so a value cannot change between the check and the
 * walk, and the walk always reads a Float64Array).
 * @throws {ForestInputError} wrong length, NaN or infinite values, or a row that cannot be read.
 */
export function readRow(
  row: ArrayLike<number>,
  columns: number,
  method: string,
  scratch: Float64Array,
): Float64Array {
  try {
    // isView is false for a proxy, whatever its prototype says: only a real typed array is trusted.
    if (ArrayBuffer.isView(row) && row instanceof Float64Array) {
      checkRow(row, columns, method);
      return row;
    }
    if (row === null || typeof row !== 'object' || typeof row.length !== 'number') {
      throw new ForestInputError(`${method}: expected a row of ${columns} numbers`);
    }
    if (row.length !== columns) {
      throw new ForestInputError(
        `${method}: row has ${row.length} columns, the forest was fitted on ${columns}`,
      );
    }
    for (let c = 0; c < columns; c++) {
      const value = row[c]!;
      checkValue(value, 0, c, method);
      scratch[c] = value;
    }
    return scratch;
  } catch (error) {
    throw unreadable(error, `${method}: the row could not be read`);
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
