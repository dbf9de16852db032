import { useEffect, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import type { HastNode } from '../../lib/highlight.js';

function render(nodes: HastNode[]): ComponentChildren {
  return nodes.map((n, i) => {
    if (n.type === 'text') return n.value;
    if (n.type !== 'element') return null;
    const cls = Array.isArray(n.properties.className) ? n.properties.className.join(' ') : n.properties.className;
    return (
      <span key={i} class={cls}>
        {render(n.children)}
      </span>
    );
  });
}

/** A code block; highlighting arrives a moment later (the highlighter and grammar load on demand). */
export function CodeBlock({ code, lang }: { code: string; lang: string | null }) {
  const [tree, setTree] = useState<HastNode[] | null>(null);
  useEffect(() => {
    let live = true;
    setTree(null);
    if (!lang) return;
    import('../../lib/highlight.js')
      .then((m) => m.highlight(code, lang))
      .then((t) => live && setTree(t), () => undefined);
    return () => {
      live = false;
    };
  }, [code, lang]);
  return (
    <pre class="code" data-lang={lang ?? undefined}>
      <code class={tree ? 'hljs' : undefined}>{tree ? render(tree) : code}</code>
    </pre>
  );
}
