export {
  DEFAULT_HOME,
  type DemoOptions,
  demo,
  detect,
  evaluate,
  report,
  simulate,
  train,
  writeReport,
} from './commands.js';
export { type Alert, formatSummary, type RunResults, runLive, type ScenarioResult } from './evaluate.js';
export { type ReadOptions, readEvents } from './events.js';
export { CliError, type Io, processIo } from './io.js';
export { renderReport } from './report.js';
