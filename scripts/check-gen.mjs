#!/usr/bin/env node
// Checks that the committed generated code is what `buf generate` makes from proto/ right now:
// runs buf with a copy of buf.gen.yaml whose every `out:` points into a temp dir, then compares
// the trees byte for byte (missing, extra and differing files). Exit 0 when identical, 1 when
// stale (with the list of files), 2 when generation itself failed.
// Usage: node scripts/check-gen.mjs   (also `npm run gen:check`)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

const template = readFileSync('buf.gen.yaml', 'utf8');
const outs = [];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'teamhub-gen-'));
const rewritten = template.replace(/^(\s*out:\s*)(['"]?)([^'"\s#]+)\2(\s*(#.*)?)$/gm, (_m, pre, _q, out, post) => {
  outs.push(out);
  return `${pre}${JSON.stringify(path.join(tmp, 'out', out))}${post}`;
});
if (outs.length === 0) {
  console.error('check-gen: no `out:` found in buf.gen.yaml');
  process.exit(2);
}
const templateFile = path.join(tmp, 'buf.gen.yaml');
writeFileSync(templateFile, rewritten);

const bin = path.join(root, 'node_modules', '.bin');
const res = spawnSync(path.join(bin, 'buf'), ['generate', '--template', templateFile], {
  encoding: 'utf8',
  env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` },
});
if (res.status !== 0) {
  console.error(`check-gen: buf generate failed (${res.error?.message ?? `exit ${res.status}`})\n${res.stdout ?? ''}${res.stderr ?? ''}`);
  rmSync(tmp, { recursive: true, force: true });
  process.exit(2);
}

function listFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => statSync(path.join(dir, f)).isFile())
    .sort();
}

const problems = [];
for (const out of outs) {
  const fresh = path.join(tmp, 'out', out);
  const committed = listFiles(out);
  const generated = listFiles(fresh);
  const committedSet = new Set(committed);
  for (const f of generated) {
    if (!committedSet.has(f)) problems.push(`missing:  ${path.join(out, f)}`);
    else if (!readFileSync(path.join(out, f)).equals(readFileSync(path.join(fresh, f)))) problems.push(`stale:    ${path.join(out, f)}`);
  }
  const generatedSet = new Set(generated);
  for (const f of committed) if (!generatedSet.has(f)) problems.push(`extra:    ${path.join(out, f)}`);
}
rmSync(tmp, { recursive: true, force: true });

if (problems.length) {
  console.error(`check-gen: generated code differs from proto/ (run \`make proto\` and commit the result):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`check-gen: ${outs.join(', ')} up to date`);
