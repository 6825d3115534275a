import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'

// electron-vite 6 picks the output format from package.json: "type": "module"
// makes main an ES module (out/main/index.js). Sandboxed preloads must be
// CommonJS, so the preload's format is forced to cjs (out/preload/index.cjs).
// A sandboxed preload can require only 'electron' (and a few polyfills), not
// node_modules, so its dependencies (zod) are bundled: externalizeDeps: false.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      // The engine worker is built beside the main process: utilityProcess.fork runs it from there.
      lib: {
        entry: { index: resolve('src/main/index.ts'), 'engine-worker': resolve('src/host/engine-worker.ts'),
          // The two-core helper thread (src/host/parallel/), started next to the engine worker.
          'gradient-worker': resolve('src/host/parallel/gradient-worker.ts') },
        formats: ['es'],
        fileName: (_format, name) => `${name}.js`,
      },
    },
  },
  preload: {
    build: {
      externalizeDeps: false,
      outDir: 'out/preload',
      lib: { entry: resolve('src/preload/index.ts'), formats: ['cjs'], fileName: () => 'index.cjs' },
    },
  },
  renderer: {
    root: 'src/renderer',
    build: {
      outDir: 'out/renderer',
      rolldownOptions: { input: resolve('src/renderer/index.html') },
    },
    plugins: [vue()],
  },
})
