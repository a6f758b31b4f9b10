import { HarombeError, ModelArtifactError, type ModelProblem } from '@harombe/models';

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

/** `IsolationForest.fromJSON` refused its input: a {@link ModelArtifactError} of artifact `forest`. */
export function forestModelError(problem: ModelProblem, message: string): ModelArtifactError {
  return new ModelArtifactError('forest', problem, `IsolationForest.fromJSON: ${message}`);
}
