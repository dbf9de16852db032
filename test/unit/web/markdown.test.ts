import { expect } from 'chai';
import { parseMarkdown, safeHref, type MdBlock, type MdInline } from '../../../web/src/lib/markdown.js';
import { MARKDOWN_TEXT } from './hapi-messages.js';

function links(blocks: MdBlock[]): Array<{ href: string | null; text: string }> {
  const out: Array<{ href: string | null; text: string }> = [];
  const text = (n: MdInline[]): string => n.map((x) => ('v' in x ? x.v : 'c' in x ? text(x.c) : '')).join('');
  const walkInline = (n: MdInline[]) => n.forEach((x) => (x.t === 'link' ? out.push({ href: x.href, text: text(x.c) }) : 'c' in x && walkInline(x.c)));
  const walk = (bs: MdBlock[]) =>
    bs.forEach((b) => {
      if (b.t === 'p' || b.t === 'h') walkInline(b.c);
      if (b.t === 'quote') walk(b.c);
      if (b.t === 'list') b.items.forEach((i) => walk(i.c));
    });
  walk(blocks);
  return out;
}

describe('web Markdown (untrusted agent text)', () => {
  it('when the agent writes headings, code, task lists and a table, then each becomes its own block', () => {
    const blocks = parseMarkdown(MARKDOWN_TEXT);
    expect(blocks.map((b) => b.t)).to.deep.equal(['h', 'p', 'code', 'list', 'table', 'p']);
    // the inline <img> of the last paragraph is kept as its own text, not as an element
    expect(JSON.stringify(blocks[5])).to.include('{"t":"text","v":"<img src=x onerror=\\"window.__pwned=1\\">"}');
    const code = blocks[2] as Extract<MdBlock, { t: 'code' }>;
    expect(code.lang).to.equal('ts');
    expect(code.v).to.include('return a + b;');
    const list = blocks[3] as Extract<MdBlock, { t: 'list' }>;
    expect(list.items.map((i) => i.checked)).to.deep.equal([true, false]);
    const table = blocks[4] as Extract<MdBlock, { t: 'table' }>;
    expect(table.rows).to.have.length(1);
  });

  it('when a link is javascript:, data: or disguised with spaces and tabs, then it loses its address; web and mail links stay', () => {
    expect(links(parseMarkdown(MARKDOWN_TEXT))).to.deep.equal([
      { href: 'https://example.com/docs', text: 'the docs' },
      { href: null, text: 'this' },
    ]);
    for (const bad of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'java\tscript:alert(1)', ' javascript:alert(1)', 'data:text/html,<script>x</script>', 'vbscript:x', '//evil.example/x', 'relative/path']) {
      expect(safeHref(bad), bad).to.equal(null);
    }
    expect(safeHref('mailto:a@example.com')).to.equal('mailto:a@example.com');
    expect(safeHref('/sessions/abc')).to.equal('/sessions/abc');
    expect(safeHref('#section')).to.equal('#section');
  });

  it('when the text holds raw HTML, then it stays visible text and no block or inline carries markup', () => {
    const blocks = parseMarkdown('<script>alert(1)</script>\n\nhello <b onclick="x()">bold</b>');
    const flat = JSON.stringify(blocks);
    expect(blocks[0]).to.deep.equal({ t: 'p', c: [{ t: 'text', v: '<script>alert(1)</script>' }] });
    expect(flat).to.include('<b onclick=\\"x()\\">');
    // only the tree's own node kinds appear: no "html" node that a renderer could inject
    expect(flat).to.not.match(/"t":"html"/);
  });

  it('when the text has entities or an image, then entities read as characters and the image is only a link', () => {
    const [p] = parseMarkdown('a & b < c "q" ![shot](https://example.com/s.png)') as Array<Extract<MdBlock, { t: 'p' }>>;
    expect(p!.c[0]).to.deep.equal({ t: 'text', v: 'a & b < c "q" ' });
    expect(p!.c[1]).to.deep.equal({ t: 'link', href: 'https://example.com/s.png', c: [{ t: 'text', v: 'shot' }] });
  });
});
