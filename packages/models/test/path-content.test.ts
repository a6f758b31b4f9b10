import { describe, expect, it } from 'vitest';
import { meterWork } from '../../../tooling/regexp-meter.js';
import {
  DEFAULT_SENSITIVE_CATALOGUE,
  extensionOf,
  fileNameOf,
  SensitiveCatalogueError,
  SensitiveMatcher,
  sensitiveCatalogue,
  templatePath,
  verbOf,
} from '../src/index.js';

describe('path templates', () => {
  it('generalises dates, numbers, hashes, ids and UUIDs, so partitions recur', () => {
    expect(templatePath('/data/out/dt=2026-05-04/part-00017.parquet')).toBe(
      '/data/out/dt={date}/part-{n}.parquet',
    );
    expect(templatePath('/data/out/dt=2026-05-05/part-00003.parquet')).toBe(
      '/data/out/dt={date}/part-{n}.parquet',
    );
    expect(templatePath('/runs/20260504/log.txt')).toBe('/runs/{date}/log.txt');
    expect(templatePath('/jobs/5f0c2a9e-3b1d-4c8e-9a7f-1b2c3d4e5f60/out.json')).toBe('/jobs/{uuid}/out.json');
    expect(templatePath('/cache/3f9a8c1d2e7b/blob')).toBe('/cache/{hash}/blob');
    expect(templatePath('/tmp/session-abcDEF123456ghiJKL/x')).toBe('/tmp/session-{id}/x');
    expect(templatePath('/srv/app/src/main.ts')).toBe('/srv/app/src/main.ts');
  });

  it('reads file names and extensions', () => {
    expect(fileNameOf('/srv/app/.env')).toBe('.env');
    expect(extensionOf('/srv/app/.env')).toBe('');
    expect(extensionOf('C:\\keys\\Server.PEM')).toBe('pem');
    expect(extensionOf('a.tar.gz')).toBe('gz');
  });

  it('reads the verb of an action or of a command in the metadata', () => {
    expect(verbOf({ action: 'DROP TABLE users', metadata: {} })).toBe('drop');
    expect(verbOf({ action: undefined, metadata: { query: '  select * from t' } })).toBe('select');
    expect(verbOf({ action: undefined, metadata: { command: 'git push --force origin main' } })).toBe(
      'git push',
    );
    expect(verbOf({ action: undefined, metadata: { command: '/usr/bin/kubectl delete pod x' } })).toBe(
      'kubectl delete',
    );
    expect(verbOf({ action: undefined, metadata: { command: 42 } })).toBeUndefined();
    expect(verbOf({ action: '   ', metadata: {} })).toBeUndefined();
  });
});

describe('the sensitive-location catalogue', () => {
  const matcher = new SensitiveMatcher();

  it.each([
    ['/home/ana/.ssh/id_rsa', 'ssh-key'],
    ['/root/.aws/credentials', 'cloud-credentials'],
    ['/home/ci/.docker/config.json', 'container-credentials'],
    ['/var/run/secrets/kubernetes.io/serviceaccount/token', 'service-account-token'],
    ['/srv/app/.env', 'env-file'],
    ['/srv/app/.env.production', 'env-file'],
    ['/etc/shadow', 'system-accounts'],
    ['/home/ana/.netrc', 'git-credentials'],
    ['/home/ana/.git-credentials', 'git-credentials'],
    ['/home/ana/.config/google-chrome/Default/Login Data', 'browser-credentials'],
    ['/etc/nginx/tls/server.key', 'key-file'],
    ['C:\\Users\\ana\\.ssh\\id_ed25519', 'ssh-key'],
  ])('finds %s (%s)', (path, id) => {
    expect(matcher.match(path)?.id).toBe(id);
  });

  it.each(['/etc/hosts', '/srv/app/src/env.ts', '/srv/app/README.md', '/data/out/keys.csv'])(
    'leaves %s alone',
    (path) => {
      expect(matcher.match(path)).toBeUndefined();
    },
  );

  it('is extended or replaced, and names the entry at fault', () => {
    const extended = sensitiveCatalogue({
      add: [{ id: 'payroll', description: 'payroll exports', patterns: ['/srv/payroll/**'] }],
    });
    expect(extended.version).toBe(`${DEFAULT_SENSITIVE_CATALOGUE.version}+local`);
    expect(new SensitiveMatcher(extended).match('/srv/payroll/2026/may.csv')?.id).toBe('payroll');
    expect(new SensitiveMatcher(extended).match('/etc/shadow')?.id).toBe('system-accounts');
    const own = new SensitiveMatcher({ version: 'ours/1', entries: [] });
    expect(own.match('/etc/shadow')).toBeUndefined();
    const bad = () =>
      sensitiveCatalogue({ add: [{ id: 'payroll', description: 'payroll exports', patterns: [] }] });
    expect(bad).toThrow(SensitiveCatalogueError);
    expect(bad).toThrow(/entry "payroll".*patterns/);
    expect(() => new SensitiveMatcher({ version: 'x', entries: [{ id: 'Bad Id' }] } as never)).toThrow(
      /entry "Bad Id"/,
    );
    expect(() => new SensitiveMatcher(null as never)).toThrow(SensitiveCatalogueError);
    const twice = { id: 'a', description: 'a', patterns: ['x'] };
    expect(() => new SensitiveMatcher({ version: 'x', entries: [twice, twice] })).toThrow(
      /"a" appears twice/,
    );
  });
});

/**
 * Backtracks per character a linear scan stays under: the matcher's take about 12 (compiled without
 * optimizations), a quadratic pattern hundreds on the path below, six loops in a row astronomically many.
 */
const LINEAR = 64;

describe('hostile catalogues', () => {
  it('refuses globs with many wildcards', () => {
    expect(() =>
      sensitiveCatalogue({ add: [{ id: 'x', description: 'x', patterns: ['*a*b*c*d*e*f*g*h*i'] }] }),
    ).toThrow(/entry "x".*at most 8 wildcards/);
  });

  it('matches repeated ** in linear time: a bounded number of backtracks per character', () => {
    const matcher = new SensitiveMatcher(
      sensitiveCatalogue({
        add: [{ id: 'deep', description: 'deep', patterns: ['/srv/**/**/**/**/**/**/secret'] }],
      }),
    );
    // Six `(?:[^/]*/)*` in a row would try every split of these 2,000 segments between them.
    const path = `/srv/${'a/'.repeat(2000)}nope`;
    const found: unknown[] = [];
    const work = meterWork(() => {
      found.push(matcher.match(path), matcher.match('/srv/x/y/secret')?.id);
    }, LINEAR);
    expect(found).toEqual([undefined, 'deep']);
    expect(work.scans).toBeGreaterThan(0);
    expect(work.overBudget).toEqual([]);
  });

  it('matches several * in one name in linear time, and as globs mean', () => {
    const matcher = new SensitiveMatcher(
      sensitiveCatalogue({
        replace: {
          version: 't',
          entries: [
            { id: 'stars', description: 'stars', patterns: ['*a*a*a*a*a*a*a*b'] },
            { id: 'ordered', description: 'ordered', patterns: ['*key*backup*.?z'] },
            { id: 'deep', description: 'deep', patterns: ['/srv/*cred*s*/**'] },
          ],
        },
      }),
    );
    // Eight stars in a name used to try every way of splitting it: minutes on 100 characters.
    const found: unknown[] = [];
    const work = meterWork(() => {
      found.push(matcher.match(`/x/${'a'.repeat(100)}`), matcher.match(`/srv/${'c'.repeat(500)}/f`));
    }, LINEAR);
    expect(work.overBudget).toEqual([]);
    expect(found).toEqual([undefined, undefined]);
    const id = (path: string) => matcher.match(path)?.id;
    expect(id(`/x/${'a'.repeat(7)}b`)).toBe('stars');
    expect(id('/x/zazbaaaaaab')).toBe('stars');
    expect(id(`/x/${'a'.repeat(6)}b`)).toBeUndefined();
    expect(id('/x/mykey-old-backup.gz')).toBe('ordered');
    expect(id('/x/key.backupkey.backup.xz')).toBe('ordered');
    expect(id('/x/backup-key.gz')).toBeUndefined();
    expect(id('/x/key-backup.tgz')).toBeUndefined();
    expect(id('/srv/old-credentials/a/b')).toBe('deep');
    expect(id('/srv/credit/a')).toBeUndefined();
  });

  it('(the meter) finds the backtracking of repeated ** compiled as it is written', () => {
    // What `/srv/**/**/secret` compiles to without `**/**/` made one `**/`: quadratic in segments.
    const path = `/srv/${'a/'.repeat(2000)}nope`;
    const work = meterWork(() => /^\/srv\/(?:[^/]*\/)*(?:[^/]*\/)*secret$/.test(path), LINEAR);
    expect(work.overBudget).toHaveLength(1);
  });
});

describe('a catalogue whose reading throws', () => {
  it('is a SensitiveCatalogueError, not whatever the getter threw', () => {
    const hostile = {
      version: 'x',
      get entries(): never {
        throw new RangeError('boom');
      },
    };
    expect(() => new SensitiveMatcher(hostile as never)).toThrow(SensitiveCatalogueError);
    expect(() => new SensitiveMatcher(hostile as never)).toThrow(
      'sensitive-location catalogue could not be read: boom',
    );
    const trap = new Proxy(
      {},
      {
        get: () => {
          throw new Error('trap');
        },
        has: () => {
          throw new Error('trap');
        },
      },
    );
    expect(() => new SensitiveMatcher(trap as never)).toThrow(SensitiveCatalogueError);
  });
});
