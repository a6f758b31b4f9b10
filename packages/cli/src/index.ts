export {
  DEFAULT_HOME,
  type DemoOptions,
  demo,
  detect,
  evaluate,
  readTimeZones,
  report,
  simulate,
  train,
  writeReport,
} from './commands.js';
export { type Alert, formatSummary, type RunResults, runLive, type ScenarioResult } from './evaluate.js';
export { type ReadOptions, readEvents } from './events.js';
export { CliError, type Io, processIo } from './io.js';
export { type Progress, progress } from './progress.js';
export { renderReport } from './report.js';
export { type DetectResult, DetectResultSchema } from './results.js';
export { GAP_MS, isDetectOutput, writeResultsReport } from './results-report.js';
export {
  DEFAULT_REORDER_WINDOW,
  openDetector,
  parseWindow,
  type ScanOptions,
  scan,
  UNKNOWN_AGENTS,
  type UnknownAgents,
} from './scan.js';
