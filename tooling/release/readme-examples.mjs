// The examples of the public packages' READMEs, read from the READMEs themselves so that what the
// release check runs is what users read: every ```ts/```js block (unless the line before it is a
// `<!-- fragment: why -->` comment: a snippet that needs the reader's own variables), every ```sh
// block without an install line, and each README's `npm install` line. A ```text block right after
// an example is its exact expected output.
import { readFileSync } from 'node:fs';
import ts from 'typescript';

const FENCE = /^```(\w*)\s*$/;
const FRAGMENT = /^<!--\s*fragment\b/;
const INSTALL = /^npm install\b(.*)$/;

/**
 * `{ installs, examples }` of one README: the packages its `npm install` lines name, and its
 * runnable blocks as `{ language, source, line, expected }` (`line` is where the block starts).
 */
export function readmeExamples(path) {
  const lines = readFileSync(path, 'utf8').split('\n');
  const installs = new Set();
  const examples = [];
  let previous = ''; // the last non-blank line outside a block
  for (let index = 0; index < lines.length; index++) {
    const open = FENCE.exec(lines[index]);
    if (!open) {
      if (lines[index].trim()) previous = lines[index].trim();
      continue;
    }
    const start = index;
    const body = [];
    for (index++; index < lines.length && !lines[index].startsWith('```'); index++) body.push(lines[index]);
    const language = open[1];
    const source = `${body.join('\n')}\n`;
    if (language === 'text' && examples.at(-1)?.end === start) {
      examples.at(-1).expected = source;
    } else if (language === 'sh') {
      const named = body.map((line) => INSTALL.exec(line.trim())).filter(Boolean);
      for (const [, args] of named) {
        for (const arg of args.trim().split(/\s+/)) if (arg.startsWith('@harombe/')) installs.add(arg);
      }
      if (named.length === 0)
        examples.push({ language, source, line: start + 1, end: nextFence(lines, index) });
    } else if ((language === 'ts' || language === 'js') && !FRAGMENT.test(previous)) {
      examples.push({ language, source, line: start + 1, end: nextFence(lines, index) });
    }
    previous = '';
  }
  return { installs: [...installs], examples };
}

/** The index of the next fence line after `close`, if only blank lines lie between. */
function nextFence(lines, close) {
  let next = close + 1;
  while (next < lines.length && !lines[next].trim()) next++;
  return next;
}

/** The packages an example imports or requires. */
export function importedPackages(source) {
  const names = new Set();
  for (const [, name] of source.matchAll(/(?:from\s+|require\()\s*['"]([^'"]+)['"]/g)) {
    if (!name.startsWith('node:') && !name.startsWith('.')) {
      names.add(name.startsWith('@') ? name.split('/').slice(0, 2).join('/') : name.split('/')[0]);
    }
  }
  return [...names];
}

// Prints a value the README annotates, beside the README's comment.
const SHOW = `
function __show(label, value, note) {
  let text = __inspect(value, { depth: 2, compact: true, breakLength: Infinity, maxArrayLength: 4 });
  if (text.length > 200) text = text.slice(0, 199) + '…';
  console.log(label + ' => ' + text + '    // README: ' + note);
}
`;

/**
 * The JavaScript that runs a TypeScript or JavaScript example as an ES module (`format: 'esm'`) or
 * as CommonJS (`'cjs'`): types stripped, imports kept (as `require` for CommonJS), the rest in an
 * async function (top-level `await` works in both), and every statement the README annotates with a
 * comment (`forest.score(row); // 0.41`) printed with its real value, unless `annotate` is false
 * (an example whose output the README shows prints it itself, and exactly that).
 */
export function compileExample(source, format, { annotate = true } = {}) {
  const file = ts.createSourceFile('example.ts', source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const imports = ["import { inspect as __inspect } from 'node:util';"];
  const body = [];
  file.statements.forEach((statement, index) => {
    const text = source.slice(statement.getStart(file), statement.end);
    if (ts.isImportDeclaration(statement)) {
      imports.push(text);
      return;
    }
    body.push(text);
    const note = annotate ? annotation(source, statement, index === file.statements.length - 1) : undefined;
    if (note === undefined) return;
    if (ts.isExpressionStatement(statement) && !printsItself(statement.expression, file)) {
      const expression = source.slice(statement.expression.getStart(file), statement.expression.end);
      body[body.length - 1] =
        `__show(${JSON.stringify(oneLine(expression))}, ${expression}, ${JSON.stringify(note)});`;
    } else if (ts.isVariableStatement(statement) && statement.declarationList.declarations.length === 1) {
      const { name } = statement.declarationList.declarations[0];
      if (ts.isIdentifier(name))
        body.push(`__show(${JSON.stringify(name.text)}, ${name.text}, ${JSON.stringify(note)});`);
    }
  });
  const program = [
    ...imports,
    SHOW,
    'async function __example() {',
    ...body,
    '}',
    '__example().catch((error) => {',
    '  console.error(error);',
    '  process.exitCode = 1;',
    '});',
  ].join('\n');
  const { outputText, diagnostics } = ts.transpileModule(program, {
    reportDiagnostics: true,
    compilerOptions: {
      module: format === 'cjs' ? ts.ModuleKind.CommonJS : ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      isolatedModules: true,
    },
  });
  if (diagnostics?.length) {
    const messages = diagnostics.map((diagnostic) =>
      ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'),
    );
    throw new Error(`the example does not compile: ${messages.join('; ')}`);
  }
  return outputText;
}

/** The comment a README puts after a statement on its line (or after the last statement, below it). */
function annotation(source, statement, last) {
  const ranges = ts.getTrailingCommentRanges(source, statement.end)?.slice(0, 1) ?? [];
  if (last) {
    const below = ts.getLeadingCommentRanges(source, statement.end) ?? [];
    ranges.push(...below.filter(({ pos }) => !ranges.some((range) => range.pos === pos)));
  }
  if (ranges.length === 0) return undefined;
  return ranges
    .map(({ pos, end }) => source.slice(pos, end).replace(/^\/\/\s?|^\/\*|\*\/$/g, ''))
    .map((text) => text.trim())
    .join(' ');
}

/** Whether a statement prints by itself (`console.log(...)`, `process.stdout.write(...)`). */
function printsItself(expression, file) {
  if (!ts.isCallExpression(expression)) return false;
  return /^(console\.\w+|process\.(stdout|stderr)\.write)$/.test(expression.expression.getText(file));
}

function oneLine(text) {
  const line = text.replace(/\s+/g, ' ');
  return line.length > 70 ? `${line.slice(0, 69)}…` : line;
}
