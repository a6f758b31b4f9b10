import { HarombeError } from '@harombe/models';

/** The data given to `fit` or a scoring method is unusable; names the row and column when known. */
export class ForestInputError extends HarombeError<'FOREST_INVALID_INPUT'> {
  readonly row: number | undefined;
  readonly column: number | undefined;

  constructor(message: string, location: { row?: number; column?: number } = {}) {
    super('FOREST_INVALID_INPUT', message);
    this.row = location.row;
    this.column = location.column;
  }
}

/** A scoring method was called before `fit`. */
export class NotFittedError extends HarombeError<'FOREST_NOT_FITTED'> {
  constructor(method: string) {
    super('FOREST_NOT_FITTED', `IsolationForest.${method} requires a fitted forest: call fit(rows) first`);
  }
}

/** Why a serialized model was refused. */
export type ModelFormatProblem = 'foreign' | 'version' | 'schema' | 'truncated' | 'tampered';

/** `IsolationForest.fromJSON` refused its input: foreign, wrong version, truncated or tampered. */
export class ModelFormatError extends HarombeError<'FOREST_INVALID_MODEL'> {
  readonly problem: ModelFormatProblem;

  constructor(problem: ModelFormatProblem, message: string) {
    super('FOREST_INVALID_MODEL', `IsolationForest.fromJSON: ${message}`);
    this.problem = problem;
  }
}
