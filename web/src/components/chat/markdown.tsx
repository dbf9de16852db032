import { useMemo } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { parseMarkdown, type MdBlock, type MdInline } from '../../lib/markdown.js';
import { CodeBlock } from './code-block.js';

function Inline({ nodes }: { nodes: MdInline[] }) {
  return <>{nodes.map((n, i) => <InlineNode key={i} n={n} />)}</>;
}

function InlineNode({ n }: { n: MdInline }): ComponentChildren {
  switch (n.t) {
    case 'text':
      return n.v;
    case 'strong':
      return <strong><Inline nodes={n.c} /></strong>;
    case 'em':
      return <em><Inline nodes={n.c} /></em>;
    case 'del':
      return <del><Inline nodes={n.c} /></del>;
    case 'code':
      return <code>{n.v}</code>;
    case 'br':
      return <br />;
    case 'link':
      if (!n.href) return <span class="md-badlink"><Inline nodes={n.c} /></span>;
      return n.href.startsWith('#') || n.href.startsWith('/') ? (
        <a href={n.href}><Inline nodes={n.c} /></a>
      ) : (
        <a href={n.href} target="_blank" rel="noopener noreferrer nofollow">
          <Inline nodes={n.c} />
        </a>
      );
  }
}

function Block({ b }: { b: MdBlock }): ComponentChildren {
  switch (b.t) {
    case 'p':
      return <p><Inline nodes={b.c} /></p>;
    case 'h':
      // Headings inside a message are styled, not part of the page's outline.
      return <p class={`md-h md-h${b.level}`}><strong><Inline nodes={b.c} /></strong></p>;
    case 'code':
      return <CodeBlock code={b.v} lang={b.lang} />;
    case 'quote':
      return <blockquote>{b.c.map((x, i) => <Block key={i} b={x} />)}</blockquote>;
    case 'hr':
      return <hr />;
    case 'list': {
      const items = b.items.map((it, i) => (
        <li key={i} class={it.checked === null ? undefined : 'md-task'}>
          {it.checked !== null && <span class="md-check" aria-hidden="true">{it.checked ? '☑' : '☐'}</span>}
          {it.checked !== null && <span class="sr-only">{it.checked ? 'done: ' : 'to do: '}</span>}
          {it.c.map((x, j) => <Block key={j} b={x} />)}
        </li>
      ));
      return b.ordered ? <ol start={b.start}>{items}</ol> : <ul>{items}</ul>;
    }
    case 'table':
      return (
        <div class="md-table" tabIndex={0} role="region" aria-label="Table">
          <table>
            <thead>
              <tr>{b.header.map((h, i) => <th key={i} style={b.align[i] ? { textAlign: b.align[i]! } : undefined}><Inline nodes={h} /></th>)}</tr>
            </thead>
            <tbody>
              {b.rows.map((r, i) => (
                <tr key={i}>{r.map((c, j) => <td key={j} style={b.align[j] ? { textAlign: b.align[j]! } : undefined}><Inline nodes={c} /></td>)}</tr>
              ))}
            </tbody>
          </table>
        </div>
      );
  }
}

/** Markdown from the agent, rendered as elements (never as HTML). */
export function Markdown({ text }: { text: string }) {
  const blocks = useMemo(() => parseMarkdown(text), [text]);
  return <div class="md">{blocks.map((b, i) => <Block key={i} b={b} />)}</div>;
}
