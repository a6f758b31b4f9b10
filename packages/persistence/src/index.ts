export {
  ARTIFACT_FORMAT,
  ARTIFACT_VERSION,
  type Cipher,
  type Compression,
  type Encoding,
  type Header,
  type OpenOptions,
  open as openArtifact,
  READABLE_VERSIONS,
  type SealOptions,
  seal as sealArtifact,
} from './envelope.js';
export {
  CorruptError,
  NotFoundError,
  StoreConfigError,
  StoreError,
  type StoreErrorCode,
  TamperedError,
  UnsupportedVersionError,
} from './errors.js';
export { defaultModelDirectory, FileModelStore, type FileModelStoreOptions } from './file-store.js';
export { KEY_ENV, resolveKey } from './key.js';
export { MemoryModelStore } from './memory-store.js';
