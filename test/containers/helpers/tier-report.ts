/**
 * What the tier ran, printed at its end whatever happened (so a failure still shows how far it
 * got): images built, replicas, requests per replica, faults injected, writes acknowledged/lost.
 */
export class TierReport {
  private readonly sections = new Map<string, string[]>();
  private readonly startedAt = Date.now();

  add(section: string, line: string): void {
    if (!this.sections.has(section)) this.sections.set(section, []);
    this.sections.get(section)!.push(line);
  }

  print(): void {
    const out = ['', '  containers tier: what ran'];
    for (const [section, lines] of this.sections) {
      out.push(`    ${section}:`);
      for (const l of lines) out.push(`      ${l}`);
    }
    out.push(`    total: ${Math.round((Date.now() - this.startedAt) / 1000)} s`);
    console.log(out.join('\n'));
  }
}
