// Markdown from the agent, parsed with marked's lexer into a small tree that the page renders as
// elements. Nothing is ever turned into HTML: raw HTML in the text stays visible text, and links
// keep only web and mail addresses (never `javascript:` or `data:`).
import { Lexer, type Token, type Tokens } from 'marked';

export type MdInline =
  | { t: 'text'; v: string }
  | { t: 'strong' | 'em' | 'del'; c: MdInline[] }
  | { t: 'code'; v: string }
  | { t: 'link'; href: string | null; c: MdInline[] }
  | { t: 'br' };

export type MdBlock =
  | { t: 'p'; c: MdInline[] }
  | { t: 'h'; level: number; c: MdInline[] }
  | { t: 'code'; lang: string | null; v: string }
  | { t: 'quote'; c: MdBlock[] }
  | { t: 'list'; ordered: boolean; start: number; items: Array<{ checked: boolean | null; c: MdBlock[] }> }
  | { t: 'table'; align: Array<'left' | 'right' | 'center' | null>; header: MdInline[][]; rows: MdInline[][][] }
  | { t: 'hr' };

const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

/** `href` when it is a web or mail address (or a page-relative one), else null. */
export function safeHref(href: string | null | undefined): string | null {
  if (!href) return null;
  // Browsers ignore control characters and spaces inside a scheme ("java\tscript:"), so they go first.
  const cleaned = href.replace(/[\u0000-\u0020\u007f]+/g, '');
  if (!cleaned) return null;
  if (cleaned.startsWith('#') || (cleaned.startsWith('/') && !cleaned.startsWith('//'))) return cleaned;
  let url: URL;
  try {
    url = new URL(cleaned);
  } catch {
    return null; // relative paths without a leading slash mean nothing on this page
  }
  return SAFE_PROTOCOLS.has(url.protocol) ? url.href : null;
}

function inline(tokens: Token[] | undefined): MdInline[] {
  const out: MdInline[] = [];
  for (const tok of tokens ?? []) {
    switch (tok.type) {
      case 'strong':
      case 'em':
      case 'del':
        out.push({ t: tok.type, c: inline((tok as Tokens.Strong).tokens) });
        break;
      case 'codespan':
        out.push({ t: 'code', v: decodeEntities((tok as Tokens.Codespan).text) });
        break;
      case 'link': {
        const l = tok as Tokens.Link;
        out.push({ t: 'link', href: safeHref(l.href), c: inline(l.tokens) });
        break;
      }
      case 'image': {
        // Images are never loaded from the agent's text; the address is offered as a link.
        const img = tok as Tokens.Image;
        out.push({ t: 'link', href: safeHref(img.href), c: [{ t: 'text', v: img.text || img.href }] });
        break;
      }
      case 'br':
        out.push({ t: 'br' });
        break;
      case 'text': {
        const tx = tok as Tokens.Text;
        if (tx.tokens?.length) out.push(...inline(tx.tokens));
        else out.push({ t: 'text', v: decodeEntities(tx.text) });
        break;
      }
      case 'escape':
        out.push({ t: 'text', v: decodeEntities((tok as Tokens.Escape).text) });
        break;
      default:
        // inline HTML and anything unknown: shown as the text it is
        out.push({ t: 'text', v: tok.raw });
    }
  }
  return out;
}

// marked escapes &, <, >, " and ' in text tokens for HTML output; the page sets text, not HTML.
function decodeEntities(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e] ?? _);
}

function blocks(tokens: Token[]): MdBlock[] {
  const out: MdBlock[] = [];
  for (const tok of tokens) {
    switch (tok.type) {
      case 'space':
      case 'def':
        break;
      case 'paragraph':
        out.push({ t: 'p', c: inline((tok as Tokens.Paragraph).tokens) });
        break;
      case 'text': {
        const tx = tok as Tokens.Text;
        out.push({ t: 'p', c: tx.tokens?.length ? inline(tx.tokens) : [{ t: 'text', v: decodeEntities(tx.text) }] });
        break;
      }
      case 'heading': {
        const h = tok as Tokens.Heading;
        out.push({ t: 'h', level: Math.min(6, Math.max(1, h.depth)), c: inline(h.tokens) });
        break;
      }
      case 'code': {
        const c = tok as Tokens.Code;
        out.push({ t: 'code', lang: c.lang?.trim().split(/\s+/)[0] || null, v: c.text });
        break;
      }
      case 'blockquote':
        out.push({ t: 'quote', c: blocks((tok as Tokens.Blockquote).tokens) });
        break;
      case 'list': {
        const l = tok as Tokens.List;
        out.push({
          t: 'list',
          ordered: l.ordered,
          start: typeof l.start === 'number' ? l.start : 1,
          items: l.items.map((it) => ({ checked: it.task ? !!it.checked : null, c: blocks(it.tokens.filter((x) => x.type !== 'checkbox')) })),
        });
        break;
      }
      case 'table': {
        const tb = tok as Tokens.Table;
        out.push({ t: 'table', align: tb.align, header: tb.header.map((h) => inline(h.tokens)), rows: tb.rows.map((r) => r.map((cell) => inline(cell.tokens))) });
        break;
      }
      case 'hr':
        out.push({ t: 'hr' });
        break;
      default:
        // block HTML and anything unknown: a paragraph of its source text
        out.push({ t: 'p', c: [{ t: 'text', v: tok.raw.trim() }] });
    }
  }
  return out;
}

/** Markdown text as a tree of safe blocks. */
export function parseMarkdown(text: string): MdBlock[] {
  try {
    return blocks(Lexer.lex(text, { gfm: true, breaks: false }));
  } catch {
    return [{ t: 'p', c: [{ t: 'text', v: text }] }];
  }
}
