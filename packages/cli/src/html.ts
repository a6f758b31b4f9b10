// What the HTML reports share: inlined assets, escaping, safe embedded JSON, table sorting.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function asset(path: string): string {
  return readFileSync(require.resolve(path), 'utf8');
}

export const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** JSON safe inside a <script> element. */
export const scriptJson = (value: unknown) =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

/** Click a column of a `table.sortable` to sort by its cells' `data-v` (numbers as numbers). */
export const SORT_SCRIPT = `
for (const table of document.querySelectorAll('table.sortable')) {
  const heads = [...table.querySelectorAll('th')];
  heads.forEach((th, column) => th.addEventListener('click', () => {
    const down = th.getAttribute('aria-sort') !== 'descending';
    heads.forEach((h) => h.removeAttribute('aria-sort'));
    th.setAttribute('aria-sort', down ? 'descending' : 'ascending');
    const body = table.tBodies[0];
    const value = (row) => row.cells[column].dataset.v;
    const rows = [...body.rows].sort((a, b) => {
      const x = value(a), y = value(b), nx = Number(x), ny = Number(y);
      const order = x !== '' && y !== '' && !isNaN(nx) && !isNaN(ny) ? nx - ny : x.localeCompare(y);
      return down ? -order : order;
    });
    body.append(...rows);
  }));
}`;
