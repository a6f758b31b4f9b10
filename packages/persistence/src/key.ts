import { StoreConfigError } from './errors.js';

/** Environment variable holding the base64 AES-256 key when none is passed. */
export const KEY_ENV = 'HAROMBE_MODEL_KEY';

/**
 * The 32-byte key from an option (Buffer, Uint8Array or base64 text) or, when the option is
 * `undefined`, from `HAROMBE_MODEL_KEY`. `null` disables encryption even if the variable is set.
 */
export function resolveKey(
  option: Uint8Array | string | null | undefined,
  env = process.env,
): Buffer | undefined {
  if (option === null) return undefined;
  const source = option ?? env[KEY_ENV];
  if (source === undefined || source === '') return undefined;
  const key = typeof source === 'string' ? Buffer.from(source, 'base64') : Buffer.from(source);
  if (key.length !== 32) {
    const where = option === undefined ? KEY_ENV : 'the key option';
    throw new StoreConfigError(`${where} must be 32 bytes (base64 of 32 bytes for text), got ${key.length}`);
  }
  return key;
}
