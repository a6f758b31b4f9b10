export { ModelArtifactError, type ModelProblem } from '@harombe/models';
export { ForestInputError, NotFittedError } from './errors.js';
export { type ForestExplanation, IsolationForest, type OutOfBagScores } from './forest.js';
export type { MatrixInput, RowMajorMatrix } from './matrix.js';
export { rocAuc } from './metrics.js';
export { DEFAULT_SEED, type IsolationForestOptions, IsolationForestOptionsSchema } from './options.js';
export { averagePathLength, harmonicNumber } from './path-length.js';
export { Random } from './random.js';
export { FOREST_FORMAT, FOREST_FORMAT_VERSION, type SerializedForest } from './serialization.js';
