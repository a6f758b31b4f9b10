// `pnpm test:release`: the README's release procedure, run for real against a local registry, then
// the packages used as users receive them. In a scratch copy of the repository (the working tree as
// it is; the repository itself is not touched):
//
//  1. `pnpm version-packages` (applies whatever changesets are pending);
//  2. a Verdaccio registry on loopback (pinned version, storage in the scratch directory; harombe
//     packages are local only, everything else is proxied from the npm registry npm is set up for);
//  3. a publish that stopped halfway (one package published by hand), then `pnpm release` (build,
//     packaging checks, pack check, `changeset publish`), which must publish the rest and skip it;
//  4. a new project outside the workspace that `npm install`s, by version, every package the public
//     READMEs tell users to install (@harombe/security-ml, @harombe/isolation-forest and
//     @harombe/cli among them), checked to come from the registry as real directories;
//  5. every README example run there as an ES module and as CommonJS, with its real output (exact
//     where the README shows the output), the CLI README's commands, and `npx harombe-ml demo`.
//
// Any failure exits 1. KEEP_RELEASE_CHECK=1 keeps the scratch directory for a look.
import { spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { publicPackages, repositoryRoot } from './packages.mjs';
import { compileExample, importedPackages, readmeExamples } from './readme-examples.mjs';

const VERDACCIO = 'verdaccio@6.8.0'; // 6.10 needs Node 22
const MUST_INSTALL = ['@harombe/security-ml', '@harombe/isolation-forest', '@harombe/cli'];
const { KEEP_RELEASE_CHECK, TURBO_CACHE_DIR } = process.env;
const SHOWN_LINES = 12; // of each example's output; the comparison between ESM and CommonJS sees all of it
const STACK_TRACE = /^\s+at .+:\d+:\d+\)?$/m;

const scratch = mkdtempSync(join(tmpdir(), 'harombe-release-'));
const copy = join(scratch, 'repo');
const consumer = join(scratch, 'consumer');
const home = join(scratch, 'home'); // HOME of everything run in the consumer project
const began = performance.now();
const timings = [];
let registryProcess;

class CheckFailed extends Error {}
const fail = (message) => {
  throw new CheckFailed(message);
};

async function step(title, action) {
  console.log(`\n== release check: ${title}`);
  const start = performance.now();
  const result = await action();
  timings.push([title, (performance.now() - start) / 1000]);
  return result;
}

/** Runs a command; output goes to the log unless `capture`. Fails the check on a non-zero exit. */
function run(command, args, { cwd, env = process.env, capture = false, allowFailure = false } = {}) {
  const result = spawnSync(command, args, {
    cwd,
    env,
    encoding: 'utf8',
    stdio: capture ? 'pipe' : 'inherit',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 15 * 60 * 1000,
  });
  if (result.error) fail(`${command} ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0 && !allowFailure) {
    if (capture) process.stdout.write(`${result.stdout}${result.stderr}`);
    fail(`${command} ${args.join(' ')} (in ${cwd}) exited with ${result.status ?? result.signal}`);
  }
  return result;
}

const pathWith = (bin) => `${bin}:${process.env.PATH}`;

// 0. The scratch copy: the committed history, then the working tree's changes on top.
function makeCopy() {
  run('git', ['clone', '--quiet', repositoryRoot, copy]);
  const list = (...flags) =>
    run('git', ['ls-files', '-z', ...flags], { cwd: repositoryRoot, capture: true })
      .stdout.split('\0')
      .filter(Boolean);
  for (const file of list('--deleted')) rmSync(join(copy, file), { force: true });
  for (const file of list('--modified', '--others', '--exclude-standard')) {
    if (!existsSync(join(repositoryRoot, file))) continue;
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(join(repositoryRoot, file), join(copy, file));
  }
  // Committed in the copy, so that what versioning changes stands out.
  if (run('git', ['status', '--porcelain'], { cwd: copy, capture: true }).stdout.trim()) {
    run('git', ['add', '--all'], { cwd: copy });
    const identity = ['-c', 'user.name=release check', '-c', 'user.email=release-check@localhost'];
    run('git', [...identity, 'commit', '--quiet', '--message', 'the working tree'], { cwd: copy });
    console.log('(uncommitted changes of the working tree included)');
  }
}

function copyEnv(extra = {}) {
  return {
    ...process.env,
    PATH: pathWith(join(copy, 'node_modules', '.bin')),
    // Builds the repository already made are reused (turbo's cache is keyed by content).
    TURBO_CACHE_DIR: TURBO_CACHE_DIR ?? join(repositoryRoot, '.turbo', 'cache'),
    ...extra,
  };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * One HTTP request to the local registry, on a connection of its own: this script blocks its event
 * loop in spawnSync for minutes, so a kept-alive connection could be closed under it unseen.
 */
function http(method, url, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers = data === undefined ? {} : { 'content-type': 'application/json' };
    const call = request(url, { method, agent: false, headers }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try {
          json = JSON.parse(text);
        } catch {}
        resolve({ status: response.statusCode, json });
      });
    });
    call.on('error', reject);
    call.end(data);
  });
}

function npmRegistry() {
  return run('npm', ['config', 'get', 'registry'], {
    capture: true,
    cwd: scratch,
    env: userEnv(),
  }).stdout.trim();
}

async function startRegistry() {
  const dir = join(scratch, 'registry');
  mkdirSync(dir);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  writeFileSync(
    join(dir, 'config.yaml'),
    [
      `storage: ${join(dir, 'storage')}`,
      'auth:',
      `  htpasswd: { file: ${join(dir, 'htpasswd')}, max_users: 1 }`,
      'uplinks:',
      `  upstream: { url: ${npmRegistry()}, timeout: 60s }`,
      'packages:',
      "  '@harombe/*': { access: $all, publish: $authenticated }", // local only, never proxied
      "  '**': { access: $all, publish: $authenticated, proxy: upstream }",
      'log: { type: stdout, format: pretty, level: warn }',
      '',
    ].join('\n'),
  );
  const log = join(dir, 'verdaccio.log');
  const output = openSync(log, 'a');
  registryProcess = spawn(
    'npx',
    ['--yes', VERDACCIO, '--config', join(dir, 'config.yaml'), '--listen', `127.0.0.1:${port}`],
    { cwd: dir, env: userEnv(), detached: true, stdio: ['ignore', output, output] },
  );
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (registryProcess.exitCode !== null) fail(`${VERDACCIO} exited:\n${readFileSync(log, 'utf8')}`);
    try {
      if ((await http('GET', `${url}-/ping`)).status === 200) break;
    } catch {}
    if (Date.now() > deadline) fail(`${VERDACCIO} did not answer on ${url} within 180 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const response = await http('PUT', `${url}-/user/org.couchdb.user:release-check`, {
    name: 'release-check',
    password: `release-check-${port}`,
  });
  const token = response.json?.token;
  if (!token) fail(`could not create a user on the local registry (HTTP ${response.status})`);
  const npmrc = join(dir, 'publish.npmrc');
  writeFileSync(npmrc, `registry=${url}\n//127.0.0.1:${port}/:_authToken=${token}\n`);
  console.log(
    `${VERDACCIO} on ${url} (storage ${relative(scratch, dir)}/storage, proxying ${npmRegistry()})`,
  );
  return { url, npmrc };
}

function stopRegistry() {
  if (registryProcess?.pid && registryProcess.exitCode === null) {
    try {
      process.kill(-registryProcess.pid, 'SIGTERM'); // npx, its shell and verdaccio: one process group
    } catch {}
  }
}
process.on('exit', stopRegistry);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopRegistry();
    process.exit(1);
  });
}

async function packument(registry, name) {
  const response = await http('GET', `${registry}${name.replace('/', '%2f')}`);
  return response.status === 200 ? response.json : undefined;
}

function showOutput(text, limit = SHOWN_LINES) {
  const lines = text.replace(/\n$/, '').split('\n');
  for (const line of lines.slice(0, limit))
    console.log(`   ${line.length > 320 ? `${line.slice(0, 319)}…` : line}`);
  if (lines.length > limit) console.log(`   … (${lines.length - limit} more lines)`);
}

/**
 * The environment of a shell a user opens: without the npm_* variables that npm and pnpm pass to
 * the scripts they run (`npx pnpm test:release` in CI hands down npm_config_userconfig, _prefix, ...).
 */
function userEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
}

function consumerEnv(registry) {
  const env = {
    ...userEnv(),
    HOME: home,
    npm_config_userconfig: join(consumer, '.npmrc'),
    npm_config_registry: registry,
    npm_config_update_notifier: 'false',
    // The lockfile must say where each package came from (some machines' npmrc turns that off).
    npm_config_omit_lockfile_registry_resolved: 'false',
  };
  for (const name of ['NODE_PATH', 'NODE_OPTIONS', 'HAROMBE_MODEL_KEY', 'TURBO_CACHE_DIR']) delete env[name];
  return env;
}

async function main() {
  console.log(`release check in ${scratch}`);
  const source = repositoryRoot.replace(/\/$/, '');
  await step('a scratch copy of the repository (working tree included), installed offline', () => {
    makeCopy();
    run(join(source, 'node_modules', '.bin', 'pnpm'), ['install', '--frozen-lockfile', '--prefer-offline'], {
      cwd: copy,
      env: copyEnv(),
    });
  });

  await step('1. version: pnpm version-packages', () => {
    run('pnpm', ['version-packages'], { cwd: copy, env: copyEnv() });
    const changed = run('git', ['status', '--short'], { cwd: copy, capture: true }).stdout.trim();
    console.log(
      changed ? `versioning changed:\n${changed}` : 'no pending changesets: the versions stand as committed',
    );
  });
  const packages = publicPackages(copy);
  console.log(packages.map(({ name, version }) => `${name}@${version}`).join(', '));

  const { url: registry, npmrc } = await step('2. a local registry', startRegistry);
  if (!/^http:\/\/127\.0\.0\.1:\d+\/$/.test(registry)) fail(`refusing to publish to ${registry}`);
  const publishEnv = copyEnv({ npm_config_registry: registry, npm_config_userconfig: npmrc });

  const first = packages.find(({ name }) => name === '@harombe/models') ?? packages[0];
  await step(`3. a publish that stopped halfway: ${first.name} alone published`, () => {
    run('pnpm', ['exec', 'turbo', 'run', 'build', `--filter=${first.name}`, '--output-logs=errors-only'], {
      cwd: copy,
      env: publishEnv,
    });
    run('pnpm', ['publish', '--no-git-checks'], { cwd: first.dir, env: publishEnv });
  });

  await step('3. publish: pnpm release (build, packaging checks, pack check, changeset publish)', () =>
    run('pnpm', ['release'], { cwd: copy, env: publishEnv }),
  );

  await step('3. every public package is on the registry, pinned to released versions', async () => {
    for (const { name, version } of packages) {
      const manifest = (await packument(registry, name))?.versions?.[version];
      if (!manifest) fail(`${name}@${version} is not on the local registry after pnpm release`);
      const dependencies = Object.entries(manifest.dependencies ?? {});
      const linked = dependencies.filter(([, range]) => /^(workspace|link|file):/.test(range));
      if (linked.length > 0)
        fail(`${name}@${version} was published with ${linked.map((d) => d.join('@')).join(', ')}`);
      console.log(
        `${name}@${version}: ${dependencies.map(([dependency, range]) => `${dependency} ${range}`).join(', ')}`,
      );
    }
  });

  const versionOf = new Map(packages.map(({ name, version }) => [name, version]));
  const readmes = packages.map((pkg) => ({ pkg, ...readmeExamples(join(pkg.dir, 'README.md')) }));
  const installs = [...new Set(readmes.flatMap(({ installs }) => installs))].sort();
  for (const name of MUST_INSTALL)
    if (!installs.includes(name)) fail(`no README tells users to install ${name}`);
  for (const { pkg, installs: named, examples } of readmes) {
    if (named.length === 0) fail(`${pkg.name}'s README has no npm install line`);
    for (const example of examples) {
      const missing = importedPackages(example.source).filter((name) => !named.includes(name));
      if (missing.length > 0) {
        fail(
          `${pkg.name} README line ${example.line} imports ${missing.join(', ')}, which its npm install line omits`,
        );
      }
    }
  }

  await step('4. a new project outside the workspace: npm install by version', async () => {
    mkdirSync(consumer);
    mkdirSync(home);
    writeFileSync(join(consumer, '.npmrc'), `registry=${registry}\n`);
    writeFileSync(
      join(consumer, 'package.json'),
      `${JSON.stringify({ name: 'harombe-release-consumer', version: '1.0.0', private: true }, null, 2)}\n`,
    );
    const specs = installs.map((name) => {
      if (!versionOf.has(name)) fail(`a README installs ${name}, which is not a public package`);
      return `${name}@${versionOf.get(name)}`;
    });
    console.log(`npm install ${specs.join(' ')}`);
    run('npm', ['install', '--no-audit', '--no-fund', '--cache', join(scratch, 'npm-cache'), ...specs], {
      cwd: consumer,
      env: consumerEnv(registry),
    });
    const lock = JSON.parse(readFileSync(join(consumer, 'node_modules', '.package-lock.json'), 'utf8'));
    const installed = Object.entries(lock.packages).filter(([path]) =>
      path.includes('node_modules/@harombe/'),
    );
    for (const [path, entry] of installed) {
      const name = path.slice(path.lastIndexOf('@harombe/'));
      if (lstatSync(join(consumer, path)).isSymbolicLink() || entry.link) fail(`${path} is a link`);
      if (!entry.resolved?.startsWith(registry)) fail(`${path} came from ${entry.resolved}, not ${registry}`);
      if (entry.version !== versionOf.get(name))
        fail(`${path} is ${entry.version}, released ${versionOf.get(name)}`);
    }
    const thirdParty = Object.keys(lock.packages).filter((path) => path && !path.includes('@harombe/'));
    console.log(
      `installed ${installed.length} @harombe packages from ${registry} (real directories at the released ` +
        `versions) and ${thirdParty.length} third-party packages through it`,
    );
  });

  const ran = { examples: 0, commands: 0 };
  await step('5. the README examples, as ES modules and as CommonJS', () => {
    const dir = join(consumer, 'examples');
    mkdirSync(dir);
    for (const { pkg, examples } of readmes) {
      for (const example of examples.filter(({ language }) => language !== 'sh')) {
        const where = `${pkg.name} README.md:${example.line}`;
        const base = join(dir, `${pkg.name.slice('@harombe/'.length)}-${example.line}`);
        const outputs = {};
        for (const format of ['esm', 'cjs']) {
          const file = `${base}.${format === 'esm' ? 'mjs' : 'cjs'}`;
          writeFileSync(
            file,
            compileExample(example.source, format, { annotate: example.expected === undefined }),
          );
          const result = run('node', [file], {
            cwd: consumer,
            env: consumerEnv(registry),
            capture: true,
            allowFailure: true,
          });
          outputs[format] = result.stdout + (result.stderr ? `[stderr]\n${result.stderr}` : '');
          if (result.status !== 0) {
            console.log(`-- ${where} as ${format === 'esm' ? 'an ES module' : 'CommonJS'}: FAILED`);
            showOutput(outputs[format], 60);
            fail(`${where} failed as ${format} (exit ${result.status ?? result.signal})`);
          }
        }
        ran.examples++;
        const same = outputs.cjs === outputs.esm;
        console.log(`-- ${where} (ES module${same ? '; CommonJS printed the same' : ''})`);
        showOutput(outputs.esm);
        if (!same) {
          console.log('   CommonJS printed instead:');
          showOutput(outputs.cjs);
          fail(`${where}: CommonJS and the ES module printed different output`);
        }
        if (example.expected !== undefined) {
          const trim = (text) => text.replace(/[ \t]+$/gm, '').trimEnd();
          if (trim(outputs.esm) !== trim(example.expected)) {
            console.log('   the README shows instead:');
            showOutput(example.expected, 60);
            fail(`${where}: the output differs from the README's`);
          }
          console.log('   (exactly the output the README shows)');
        }
      }
    }
  });

  await step("5. the CLI README's commands", () => {
    for (const { pkg, examples } of readmes) {
      for (const example of examples.filter(({ language }) => language === 'sh')) {
        const dir = join(consumer, `sh-${pkg.name.slice('@harombe/'.length)}-${example.line}`);
        mkdirSync(dir);
        console.log(
          `-- ${pkg.name} README.md:${example.line}\n${example.source.replace(/^/gm, '   $ ').trimEnd()}`,
        );
        const env = { ...consumerEnv(registry), PATH: pathWith(join(consumer, 'node_modules', '.bin')) };
        const result = run('bash', ['-e', '-c', example.source], {
          cwd: dir,
          env,
          capture: true,
          allowFailure: true,
        });
        showOutput(`${result.stdout}${result.stderr}`, 40);
        if (result.status !== 0) fail(`${pkg.name} README.md:${example.line} failed (exit ${result.status})`);
        // The CLI promises one line on stderr, never a stack trace (a failing command in a pipe
        // does not fail the block, so its stack trace is looked for).
        if (STACK_TRACE.test(result.stderr))
          fail(`${pkg.name} README.md:${example.line} printed a stack trace`);
        ran.commands++;
      }
    }
  });

  await step('5. npx harombe-ml demo', () => {
    run('npx', ['harombe-ml', 'demo'], { cwd: consumer, env: consumerEnv(registry) });
  });

  const total = (performance.now() - began) / 1000;
  console.log('\n== release check: timings');
  for (const [title, seconds] of timings) console.log(`${seconds.toFixed(1).padStart(7)} s  ${title}`);
  console.log(
    `release check passed in ${total.toFixed(0)} s: ${packages.length} packages versioned, published to a ` +
      `local registry and installed by version; ${ran.examples} README examples ran as ES modules and as ` +
      `CommonJS, ${ran.commands} README command blocks and npx harombe-ml demo`,
  );
}

try {
  await main();
} catch (error) {
  console.error(`\nrelease check FAILED: ${error instanceof CheckFailed ? error.message : error.stack}`);
  process.exitCode = 1;
} finally {
  stopRegistry();
  if (KEEP_RELEASE_CHECK) console.log(`kept ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
}
