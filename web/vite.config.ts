// Vite + Vitest configuration of the web console (web/). `npm run build:web` writes web/dist, which
// `peerboot server` serves at /. The console imports the shared contract from src/contract, which
// is pure (no node: module; signing lives in src/platform/crypto), so it bundles as it is.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

const webDir = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: webDir,
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1024,
  },
  server: {
    // `npx vite web` against a local `peerboot server`.
    proxy: { '/api': 'http://127.0.0.1:8470', '/healthz': 'http://127.0.0.1:8470' },
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test-setup.ts'],
    restoreMocks: true,
  },
});
