import { readFileSync } from 'node:fs';

/** teamhub's package version (from the repository's package.json). */
export const VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();

export const CLI_VERSION_TAG = `teamhub-${VERSION}`;
