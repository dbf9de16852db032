// Syntax highlighting with lowlight (highlight.js grammars, output as a tree of class names, so
// nothing is injected as HTML and the page's CSP stays strict). Each language's grammar is its own
// small chunk, fetched the first time a code block needs it.
import { createLowlight } from 'lowlight';
import type { LanguageFn } from 'highlight.js';
import { languageName, type Language } from './languages.js';

type Loader = () => Promise<{ default: LanguageFn }>;

const LOADERS: Record<Language, Loader> = {
  bash: () => import('highlight.js/lib/languages/bash'),
  c: () => import('highlight.js/lib/languages/c'),
  cpp: () => import('highlight.js/lib/languages/cpp'),
  csharp: () => import('highlight.js/lib/languages/csharp'),
  css: () => import('highlight.js/lib/languages/css'),
  diff: () => import('highlight.js/lib/languages/diff'),
  dockerfile: () => import('highlight.js/lib/languages/dockerfile'),
  go: () => import('highlight.js/lib/languages/go'),
  ini: () => import('highlight.js/lib/languages/ini'),
  java: () => import('highlight.js/lib/languages/java'),
  javascript: () => import('highlight.js/lib/languages/javascript'),
  json: () => import('highlight.js/lib/languages/json'),
  kotlin: () => import('highlight.js/lib/languages/kotlin'),
  makefile: () => import('highlight.js/lib/languages/makefile'),
  markdown: () => import('highlight.js/lib/languages/markdown'),
  php: () => import('highlight.js/lib/languages/php'),
  python: () => import('highlight.js/lib/languages/python'),
  ruby: () => import('highlight.js/lib/languages/ruby'),
  rust: () => import('highlight.js/lib/languages/rust'),
  scss: () => import('highlight.js/lib/languages/scss'),
  sql: () => import('highlight.js/lib/languages/sql'),
  swift: () => import('highlight.js/lib/languages/swift'),
  typescript: () => import('highlight.js/lib/languages/typescript'),
  xml: () => import('highlight.js/lib/languages/xml'),
  yaml: () => import('highlight.js/lib/languages/yaml'),
};

const lowlight = createLowlight();
const loading = new Map<string, Promise<void>>();

export interface HastText {
  type: 'text';
  value: string;
}
export interface HastElement {
  type: 'element';
  tagName: string;
  properties: { className?: string[] | string };
  children: HastNode[];
}
export type HastNode = HastText | HastElement | { type: 'comment' | 'doctype'; value?: string };

/** Highlighted `code` as a tree, or null when the language is unknown or the text too long. */
export async function highlight(code: string, lang: string | null): Promise<HastNode[] | null> {
  const name = languageName(lang);
  if (!name || code.length > 100_000) return null;
  if (!lowlight.registered(name)) {
    let p = loading.get(name);
    if (!p) {
      p = LOADERS[name]!().then((m) => lowlight.register(name, m.default));
      loading.set(name, p);
    }
    await p;
  }
  return lowlight.highlight(name, code).children as unknown as HastNode[];
}
