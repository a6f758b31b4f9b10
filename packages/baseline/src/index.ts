export { ModelArtifactError } from '@harombe/models';
export { judgedDimensions, type PathFacts } from './behaviour.js';
export { BaselineLearner } from './learner.js';
export { type BaselineLearnerOptions, BaselineLearnerOptionsSchema } from './options.js';
export { BASELINE_FORMAT, BASELINE_FORMAT_VERSION, type SerializedBaseline } from './serialization.js';
export { binomialUpperTail, surprise, upperNormalTail } from './surprise.js';
