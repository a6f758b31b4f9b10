import { ModelArtifactError, type ModelProblem } from '@harombe/models';

/** `BaselineLearner.fromJSON` refused its input: a {@link ModelArtifactError} of artifact `baseline`. */
export function baselineModelError(problem: ModelProblem, message: string): ModelArtifactError {
  return new ModelArtifactError('baseline', problem, `BaselineLearner.fromJSON: ${message}`);
}
