import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

// The dashboard is built into dist/web, which ships in the package and which the gateway serves
// at `/` (src/gateway/dashboard/static.ts). No CDN, no runtime fetches beyond the gateway's API.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  logLevel: 'warn',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // No inline polyfill script: the page's CSP allows only this origin's script files.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
})
