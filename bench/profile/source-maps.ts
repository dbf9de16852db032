/**
 * The hub's entry points run bundled (scripts/bundle-entries.mjs): a profile frame of
 * dist/gateway/main.js or dist/chunks/chunk-*.js says little on its own. Each bundle has a
 * source map beside it, which gives back the compiled file (dist/lib/..., node_modules/...)
 * and line a frame came from, so the categories and the top frames stay what they were.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { originalPositionFor, TraceMap } from '@jridgewell/trace-mapping';
import type { CallFrame } from './categories.js';

const maps = new Map<string, TraceMap | null>();

function mapOf(url: string): TraceMap | null {
  if (!maps.has(url)) {
    const file = `${fileURLToPath(url)}.map`;
    maps.set(url, existsSync(file) ? new TraceMap(readFileSync(file, 'utf8'), `${url}.map`) : null);
  }
  return maps.get(url)!;
}

/** The frame in the file it was bundled from, or the frame as it is when it has no source map. */
export function originalFrame(cf: CallFrame): CallFrame {
  if (!cf.url.startsWith('file://') || cf.lineNumber < 0) return cf;
  const map = mapOf(cf.url);
  if (!map) return cf;
  const pos = originalPositionFor(map, { line: cf.lineNumber + 1, column: Math.max(0, cf.columnNumber ?? 0) });
  if (!pos.source || pos.line === null) return cf;
  return { functionName: cf.functionName, url: pos.source, lineNumber: pos.line - 1, columnNumber: pos.column ?? 0 };
}
