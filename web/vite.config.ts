import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

// The page is served by the gateway at `/`, so assets use absolute paths under /assets/.
export default defineConfig({
  base: '/',
  plugins: [preact()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 200,
  },
});
