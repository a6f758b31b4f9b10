export { ARTIFACT_FORMAT, ARTIFACT_VERSION, type Encoding } from './envelope.js';
export {
  CorruptError,
  NotFoundError,
  StoreConfigError,
  StoreError,
  TamperedError,
  UnsupportedVersionError,
} from './errors.js';
export { defaultModelDirectory, FileModelStore, type FileModelStoreOptions } from './file-store.js';
export { KEY_ENV, resolveKey } from './key.js';
export { MemoryModelStore } from './memory-store.js';
