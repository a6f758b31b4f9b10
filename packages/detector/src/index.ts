export { type EventDescriptor, nearIdentical, type SerializedDetectorModel } from './agent-model.js';
export { calibratedScore, tailOfScore } from './calibration.js';
export {
  AnomalyDetector,
  type DetectDetailedOptions,
  type DetectionDetail,
  DetectorError,
  type ForestVerdict,
  type TrainOptions,
  type TrainResult,
} from './detector.js';
export { type AnomalyDetectorOptions, AnomalyDetectorOptionsSchema, calibrationRowsFor } from './options.js';
