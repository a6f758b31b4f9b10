import { HarombeError } from '@harombe/models';

/** `BaselineLearner.fromJSON` refused its input; `problem` says why. */
export class BaselineModelError extends HarombeError<'BASELINE_INVALID_MODEL'> {
  constructor(
    readonly problem: 'foreign' | 'version' | 'schema',
    message: string,
  ) {
    super('BASELINE_INVALID_MODEL', `BaselineLearner.fromJSON: ${message}`);
  }
}
