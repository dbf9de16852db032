import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './run.js';
import { importCycles, importGraph, trackedTypeScript } from './import-graph.js';

/**
 * The structural rules the code relies on, checked on every run: no import cycles, HAPI's wire
 * shapes built in the gateway only, typed events, and one shape for every service folder.
 */
describe('static: architecture', function () {
  this.timeout(60_000);
  const files = trackedTypeScript();
  const graph = importGraph(files);

  it('when the import checker sees a cycle or a self-import, then it reports it (it can fail)', () => {
    const g = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['d.ts']],
      ['e.ts', ['a.ts']],
    ]);
    expect(importCycles(g)).to.have.deep.members([['a.ts', 'b.ts', 'c.ts'], ['d.ts']]);
  });

  it('when every tracked TypeScript file is read, then its imports resolve and form no cycle', () => {
    expect(files.length).to.be.greaterThan(100);
    // The resolver finds the repository's own imports (`./x.js` → `./x.ts`): a sanity floor.
    expect([...graph.values()].reduce((n, e) => n + e.length, 0)).to.be.greaterThan(files.length);
    const cycles = importCycles(graph);
    expect(cycles, cycles.map((c) => c.join(' → ')).join('\n')).to.deep.equal([]);
  });

  it('when product code outside gateway/ is read, then none of it imports the gateway (HAPI views included)', () => {
    const product = files.filter((f) => !f.startsWith('gateway/') && !f.startsWith('test/'));
    const offenders = product.flatMap((f) => (graph.get(f) ?? []).filter((to) => to.startsWith('gateway/')).map((to) => `${f} → ${to}`));
    expect(offenders, offenders.join('\n')).to.deep.equal([]);
    expect(files.filter((f) => f.startsWith('lib/hapi/')), 'the HAPI views live in gateway/hapi').to.deep.equal([]);
  });

  it('when gateway code imports a service folder, then that is refused too (services are other processes)', () => {
    const offenders = files
      .filter((f) => f.startsWith('gateway/'))
      .flatMap((f) => (graph.get(f) ?? []).filter((to) => to.startsWith('services/')).map((to) => `${f} → ${to}`));
    expect(offenders, offenders.join('\n')).to.deep.equal([]);
  });

  it('when events.proto is read, then no field carries JSON text and EntityEvent names its change in a oneof', () => {
    const proto = readFileSync(path.join(REPO_ROOT, 'proto/teamhub/events/v1/events.proto'), 'utf8').replace(/\/\/.*$/gm, '');
    const fields = [...proto.matchAll(/^\s*(?:optional\s+|repeated\s+)?([\w.]+)\s+(\w+)\s*=\s*\d+\s*;/gm)].map((m) => ({ type: m[1]!, name: m[2]! }));
    expect(fields.length).to.be.greaterThan(10);
    const jsonish = fields.filter((f) => /json/i.test(f.name));
    expect(jsonish, JSON.stringify(jsonish)).to.deep.equal([]);
    expect(proto).to.match(/message EntityEvent \{[^}]*oneof change \{/s);
  });

  describe('service folders', () => {
    /** The same file names for the same jobs in every service (services/session is the template). */
    const SHAPE = ['README.md', 'config.ts', 'domain.ts', 'events.ts', 'handlers.ts', 'main.ts', 'proto-map.ts', 'server.ts', 'store.ts', 'store-mongo.ts', 'store-sqlite.ts'];
    /** Every service has the whole shape now (the notify service took over the Telegram bot's folder). */
    const EXCEPTIONS: Record<string, string[]> = {};
    const services = readdirSync(path.join(REPO_ROOT, 'services')).filter((d) => statSync(path.join(REPO_ROOT, 'services', d)).isDirectory());

    it('when the services folder is listed, then it holds the four services', () => {
      expect(services.sort()).to.deep.equal(['auth', 'machine', 'notify', 'session']);
    });

    for (const svc of ['auth', 'machine', 'notify', 'session']) {
      it(`when services/${svc} is listed, then it has every file of the service shape`, () => {
        const have = new Set(readdirSync(path.join(REPO_ROOT, 'services', svc)));
        const missing = SHAPE.filter((f) => !(EXCEPTIONS[svc] ?? []).includes(f) && !have.has(f));
        expect(missing, `services/${svc} lacks ${missing.join(', ')}`).to.deep.equal([]);
      });

      it(`when services/${svc}/server.ts is read, then it composes with buildServices and names its health service`, () => {
        const server = readFileSync(path.join(REPO_ROOT, 'services', svc, 'server.ts'), 'utf8');
        expect(server).to.match(/export function buildServices\(/);
        expect(server).to.match(/export const HEALTH_NAME = /);
        const main = readFileSync(path.join(REPO_ROOT, 'services', svc, 'main.ts'), 'utf8');
        expect(main).to.match(/runServiceMain\(/);
      });
    }

    it('when a store class is read, then it opens one way: a static async open that makes its schema or indexes', () => {
      for (const file of files.filter((f) => /^services\/\w+\/store(-\w+)?\.ts$/.test(f))) {
        const text = readFileSync(path.join(REPO_ROOT, file), 'utf8');
        for (const cls of text.matchAll(/export class (\w+Store)\b[^{]*\{/g)) {
          expect(text, `${file}: ${cls[1]}`).to.match(/static async open\(/);
          expect(text, `${file}: ${cls[1]} has a public constructor`).to.match(/private constructor\(/);
        }
      }
    });
  });
});
