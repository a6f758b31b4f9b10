import { HarombeError } from '@harombe/models';

/** The extractor was used before `fit`, or fitted on nothing. */
export class FeatureExtractorError extends HarombeError<'FEATURES_INVALID_STATE'> {
  constructor(message: string) {
    super('FEATURES_INVALID_STATE', message);
  }
}

/** `FeatureExtractor.fromJSON` refused its input; `problem` says why. */
export class FeatureModelError extends HarombeError<'FEATURES_INVALID_MODEL'> {
  constructor(
    readonly problem: 'foreign' | 'version' | 'schema',
    message: string,
  ) {
    super('FEATURES_INVALID_MODEL', `FeatureExtractor.fromJSON: ${message}`);
  }
}
