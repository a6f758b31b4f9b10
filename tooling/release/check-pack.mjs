// `pnpm check:pack`: packs every public package with `pnpm pack`, as `changeset publish` will, and
// checks what users will receive: LICENSE (the repository's), README.md, CHANGELOG.md, package.json
// and dist/, nothing else; every `files` entry exists; the packed manifest pins its harombe
// dependencies to versions (no `workspace:`) and carries the metadata the registry shows. Run after
// `pnpm build`. Exits 1 and says what is wrong otherwise.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publicPackages, repositoryRoot } from './packages.mjs';
import { readTarball } from './tarball.mjs';

const REQUIRED = ['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json'];
const METADATA = ['description', 'license', 'repository', 'homepage', 'bugs', 'keywords', 'engines'];

const license = readFileSync(join(repositoryRoot, 'LICENSE'));
const destination = mkdtempSync(join(tmpdir(), 'harombe-pack-'));
const problems = [];

try {
  for (const { name, version, dir, manifest } of publicPackages()) {
    const fail = (problem) => problems.push(`${name}: ${problem}`);
    for (const entry of manifest.files ?? []) {
      if (!existsSync(join(dir, entry))) {
        fail(
          `"files" lists ${entry}, which does not exist${entry === 'dist' ? ' (run pnpm build first)' : ''}`,
        );
      }
    }
    const packed = JSON.parse(
      execFileSync('pnpm', ['pack', '--json', '--pack-destination', destination], {
        cwd: dir,
        encoding: 'utf8',
      }),
    );
    const files = readTarball(packed.filename);
    const paths = [...files.keys()].sort();

    for (const required of REQUIRED) if (!files.has(required)) fail(`the tarball has no ${required}`);
    const dist = paths.filter((path) => path.startsWith('dist/'));
    if (dist.length === 0) fail('the tarball has no dist/ (run pnpm build first)');
    const unexpected = paths.filter((path) => !REQUIRED.includes(path) && !path.startsWith('dist/'));
    if (unexpected.length > 0) fail(`unexpected files in the tarball: ${unexpected.join(', ')}`);
    if (files.has('LICENSE') && !files.get('LICENSE').equals(license)) {
      fail(`LICENSE differs from the repository's (copy the root LICENSE into ${dir})`);
    }

    const published = JSON.parse(files.get('package.json')?.toString('utf8') ?? '{}');
    if (published.version !== version)
      fail(`packed version ${published.version}, package.json says ${version}`);
    for (const field of METADATA) if (published[field] === undefined) fail(`package.json has no "${field}"`);
    if (published.repository?.directory === undefined) fail('package.json "repository" has no "directory"');
    if (published.publishConfig?.access !== 'public')
      fail('package.json "publishConfig.access" is not "public"');
    for (const [dependency, range] of Object.entries(published.dependencies ?? {})) {
      if (String(range).startsWith('workspace:')) fail(`packed dependency ${dependency} is still ${range}`);
    }

    const bytes = [...files.values()].reduce((sum, data) => sum + data.length, 0);
    console.log(
      `${name}@${version}: ${REQUIRED.filter((path) => files.has(path)).join(', ')}, dist/ (${dist.length} files); ` +
        `${(bytes / 1024).toFixed(0)} KiB unpacked`,
    );
  }
} finally {
  rmSync(destination, { recursive: true, force: true });
}

if (problems.length > 0) {
  console.error(`\npack check failed:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  process.exit(1);
}
console.log(
  'pack check: every public tarball holds LICENSE, README.md, CHANGELOG.md, package.json and dist/ only',
);
