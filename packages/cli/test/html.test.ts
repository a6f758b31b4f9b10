import { describe, expect, it } from 'vitest';
import { escapeHtml, scriptJson } from '../src/html.js';

describe('values placed in the report pages', () => {
  it('embeds JSON that cannot close its script element and keeps every character', () => {
    const value = { agent: '</script><script>alert(1)</script>', text: 'line\u2028separator\u2029end' };
    const embedded = scriptJson(value);
    expect(embedded).not.toContain('</script');
    expect(embedded).not.toMatch(/[\u2028\u2029]/);
    expect(JSON.parse(embedded)).toEqual(value);
  });

  it('escapes text for HTML', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
