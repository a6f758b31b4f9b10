// The architecture the README promises, checked: dependencies point down only (no workspace package
// depends on, or imports, one on its own floor or above) and no import cycle between source files
// (type-only imports included), found with madge. Exits 1 and says what is wrong otherwise.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import madge from 'madge';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Floors, bottom up: a package may depend only on packages of lower floors. */
const FLOORS = {
  '@harombe/models': 0,
  '@harombe/isolation-forest': 1,
  '@harombe/features': 1,
  '@harombe/baseline': 1,
  '@harombe/persistence': 1,
  '@harombe/agent-sim': 1,
  '@harombe/event-log': 1,
  '@harombe/detector': 2,
  '@harombe/store-postgres': 2,
  '@harombe/security-ml': 3,
  '@harombe/cli': 4,
  '@harombe/gateway': 5,
  '@harombe/audit-logger': 5,
  '@harombe/bench': 6,
};

const workspaces = ['packages', 'apps']
  .flatMap((dir) => readdirSync(join(root, dir)).map((name) => join(root, dir, name)))
  .concat([join(root, 'bench')]);

const problems = [];
const sourceFiles = (dir) =>
  readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|mts|tsx)$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));

for (const dir of workspaces) {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const own = FLOORS[manifest.name];
  if (own === undefined) {
    problems.push(`${manifest.name}: no floor assigned in tooling/check-architecture.mjs`);
    continue;
  }
  const declared = { ...manifest.dependencies, ...manifest.devDependencies };
  for (const dependency of Object.keys(declared).filter((name) => name in FLOORS)) {
    if (FLOORS[dependency] >= own) {
      problems.push(`${manifest.name} (floor ${own}) depends on ${dependency} (floor ${FLOORS[dependency]})`);
    }
  }
  // Imports in source and tests, which may name a package without declaring it.
  for (const sub of ['src', 'test']) {
    let files = [];
    try {
      files = sourceFiles(join(dir, sub));
    } catch {
      continue;
    }
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/from '(@harombe\/[a-z-]+)/g)) {
        const target = match[1];
        if (target in FLOORS && target !== manifest.name && FLOORS[target] >= own) {
          problems.push(
            `${relative(root, file)} imports ${target} (floor ${FLOORS[target]}) from floor ${own}`,
          );
        }
      }
    }
  }
  const cycles = (
    await madge(join(dir, 'src'), {
      fileExtensions: ['ts'],
      tsConfig: join(root, 'tsconfig.base.json'),
      detectiveOptions: { ts: { skipTypeImports: false } },
    })
  ).circular();
  for (const cycle of cycles) problems.push(`${relative(root, dir)}/src: import cycle ${cycle.join(' > ')}`);
}

if (problems.length > 0) {
  console.error(`architecture: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`architecture: ${workspaces.length} workspaces, dependencies point down, no import cycles`);
