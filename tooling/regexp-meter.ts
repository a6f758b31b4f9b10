// Work of regular expressions and string scans, counted rather than timed, for tests that guard
// against backtracking and quadratic scans: a count that no slow or loaded machine changes. Tests
// only (it replaces RegExp.prototype.exec and String.prototype.charCodeAt/indexOf while it runs).
import { setFlagsFromString } from 'node:v8';

// V8's test hook %NewRegExpWithBacktrackLimit makes a copy of a regular expression that gives up
// after a number of backtracks.
setFlagsFromString('--allow-natives-syntax');
const withBacktrackLimit = new Function(
  'source',
  'flags',
  'limit',
  'return %NewRegExpWithBacktrackLimit(source, flags, limit)',
) as (source: string, flags: string, limit: number) => RegExp;
setFlagsFromString('--no-allow-natives-syntax');

/**
 * Runs `run` with its work metered. Characters read one at a time (`charCodeAt`: the assignment
 * scanner) or passed over by `indexOf` are counted in `reads`. Before a regular-expression scan
 * runs, a copy of its regular expression with `|(?![\s\S])` added (it stops at the first match or
 * at the end of the text, so it fails only when it runs out of backtracks) scans the same text from
 * the same place, allowed `perChar` backtracks per character it passes over. A scan over that
 * budget is not run (it finds nothing) and is listed in `overBudget`; `scans` counts the scans.
 */
export function meterWork(
  run: () => void,
  perChar: number,
): { reads: number; scans: number; overBudget: string[] } {
  const { charCodeAt, indexOf } = String.prototype;
  const exec = RegExp.prototype.exec;
  const overBudget: string[] = [];
  let reads = 0;
  let scans = 0;
  let metering = false;
  const withinBudget = (regex: RegExp, text: string, from: number): boolean => {
    const flags = `${regex.flags.replace(/[gy]/g, '')}g`;
    const source = `(?:${regex.source})|(?![\\s\\S])`;
    const scan = (to: number) => {
      const copy = withBacktrackLimit(source, flags, Math.min(perChar * (to - from) + 1000, 2 ** 31));
      copy.lastIndex = from;
      return exec.call(copy, text);
    };
    // V8 compiles a regular expression without its optimizations (and counts up to 5 times more
    // backtracks) once a process has compiled much regular-expression code: always so here.
    setFlagsFromString('--no-regexp-optimization');
    try {
      // To the first match (or the end) within the budget of the whole rest, then of that stretch.
      const found = scan(text.length);
      if (found === null) return false;
      const end = found.index + found[0].length;
      return end === text.length || scan(end) !== null;
    } finally {
      setFlagsFromString('--regexp-optimization');
    }
  };
  // With exec replaced, test, match, replace and split call it (the specification's own path).
  RegExp.prototype.exec = function (this: RegExp, input: string) {
    const text = String(input);
    const from = this.global || this.sticky ? this.lastIndex : 0;
    if (metering || from > text.length) return exec.call(this, text);
    scans++;
    metering = true;
    try {
      if (!withinBudget(this, text, from)) {
        overBudget.push(`${this} from ${from} of ${text.length} characters`);
        if (this.global || this.sticky) this.lastIndex = 0;
        return null;
      }
    } finally {
      metering = false;
    }
    return exec.call(this, text);
  };
  String.prototype.charCodeAt = function (this: string, index: number) {
    reads++;
    return charCodeAt.call(this, index);
  };
  String.prototype.indexOf = function (this: string, search: string, position?: number) {
    const at = indexOf.call(this, search, position);
    const from = Math.min(this.length, Math.max(0, Math.trunc(position ?? 0)));
    reads += (at < 0 ? this.length : at + search.length) - from;
    return at;
  };
  try {
    run();
  } finally {
    RegExp.prototype.exec = exec;
    String.prototype.charCodeAt = charCodeAt;
    String.prototype.indexOf = indexOf;
  }
  return { reads, scans, overBudget };
}
