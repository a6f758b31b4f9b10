// Reads an npm tarball (gzip-compressed ustar, as npm and pnpm pack it) into its files, so checks can
// look at what users will receive without unpacking it on disk.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

const BLOCK = 512;

function text(buffer, start, length) {
  const end = buffer.indexOf(0, start);
  return buffer.toString('utf8', start, end === -1 || end > start + length ? start + length : end);
}

/** The regular files of a .tgz as `Map<path, Buffer>`, paths without the leading `package/`. */
export function readTarball(path) {
  const tar = gunzipSync(readFileSync(path));
  const files = new Map();
  let longName;
  for (let offset = 0; offset + BLOCK <= tar.length; ) {
    if (tar[offset] === 0) break; // two zero blocks end the archive
    const size = Number.parseInt(text(tar, offset + 124, 12).trim() || '0', 8);
    const type = tar[offset + 156] === 0 ? '0' : String.fromCharCode(tar[offset + 156]);
    const prefix = text(tar, offset + 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${text(tar, offset, 100)}` : text(tar, offset, 100));
    const data = tar.subarray(offset + BLOCK, offset + BLOCK + size);
    longName = undefined;
    if (type === 'x') {
      // A pax header: a long path for the next entry.
      const path = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'));
      if (path) longName = path[1];
    } else if (type === '0') {
      files.set(name.replace(/^package\//, ''), data);
    }
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return files;
}
