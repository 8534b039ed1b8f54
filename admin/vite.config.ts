import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Served by the router under /admin; asset names carry a content hash, so they can be cached for a year.
export default defineConfig({
  root: import.meta.dirname,
  base: '/admin/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, target: 'es2022' },
  server: { proxy: { '/graphql': 'http://localhost:4000' } },
});
