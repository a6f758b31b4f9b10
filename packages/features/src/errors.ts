import { HarombeError, ModelArtifactError, type ModelProblem } from '@harombe/models';

/** The extractor was used before `fit`, or fitted on nothing. */
export class FeatureExtractorError extends HarombeError<'FEATURES_INVALID_STATE'> {
  constructor(message: string) {
    super('FEATURES_INVALID_STATE', message);
  }
}

/** `FeatureExtractor.fromJSON` refused its input: a {@link ModelArtifactError} of artifact `features`. */
export function featureModelError(problem: ModelProblem, message: string): ModelArtifactError {
  return new ModelArtifactError('features', problem, `FeatureExtractor.fromJSON: ${message}`);
}
