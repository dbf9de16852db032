import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hapiEmbeddedAssets } from './hapi-source.js';
import { startReferenceHapi } from './surface-hub.js';

export interface HapiWebApp {
  dir: string;
  /** URL paths written (`/index.html`, `/assets/index-….js`, …). */
  files: string[];
  bytes: number;
}

/**
 * Writes HAPI 0.30.7's own web app into `dir`, taken from the npm package alone: the binary
 * embeds the built app (hub/src/web/embeddedAssets.generated.ts lists its 170 files) and serves it
 * at `/`, so this starts that binary as a hub on a loopback port, fetches each listed file from it
 * and stops it. Nothing leaves loopback. The result is a static directory teamhub's gateway can
 * serve with TEAMHUB_WEB_DIR (the app calls `/api` and `/socket.io` on its own origin).
 */
export async function prepareHapiWebApp(dir: string): Promise<HapiWebApp> {
  const assets = hapiEmbeddedAssets();
  if (assets.length === 0) throw new Error('the hapi binary lists no embedded web assets');
  const hub = await startReferenceHapi();
  const files: string[] = [];
  let bytes = 0;
  try {
    for (const asset of assets) {
      const res = await fetch(`${hub.url}${asset.path}`, { signal: AbortSignal.timeout(20_000) });
      if (!res.ok) throw new Error(`GET ${asset.path} from the HAPI hub: ${res.status}`);
      const body = Buffer.from(await res.arrayBuffer());
      const file = path.join(dir, ...asset.path.split('/').filter(Boolean));
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, body);
      files.push(asset.path);
      bytes += body.length;
    }
  } finally {
    await hub.stop();
  }
  return { dir, files, bytes };
}
