import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

// The page is served by the gateway at `/`, so assets use absolute paths under /assets/.
// Heavy parts are split off by dynamic imports (the session view, the highlighter and each of
// its grammars, the diff engine, the terminal); files in public/ (manifest, icons) are copied as
// they are. The service worker is built separately (scripts/build-web.mjs) as /sw.js.
export default defineConfig({
  base: '/',
  plugins: [preact()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
});
