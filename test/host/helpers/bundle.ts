/**
 * Bundles a TypeScript entry into one .mjs with esbuild (which tsx ships), so
 * the fault loops can fork dozens of real workers without paying tsx's
 * start-up each time (~0.2 s instead of ~0.8 s). It is the same source the
 * tsx launcher runs; the built app ships a bundle too.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const outDir = mkdtempSync(join(tmpdir(), 'cnnlab-bundle-'))
const built = new Map<string, Promise<string>>()

export function bundleEntry(entry: string): Promise<string> {
  const source = resolve(entry)
  let done = built.get(source)
  if (!done) {
    const outfile = join(outDir, basename(source).replace(/\.ts$/, '.mjs'))
    done = build({
      entryPoints: [source],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile,
      logLevel: 'error',
      // CommonJS dependencies call require() and read __filename.
      banner: {
        js: [
          "import { createRequire as __cnnlabRequire } from 'node:module';",
          "import { fileURLToPath as __cnnlabPath } from 'node:url';",
          'const require = __cnnlabRequire(import.meta.url);',
          'const __filename = __cnnlabPath(import.meta.url);',
          "const __dirname = __filename.replace(/[\\/][^\\/]*$/, '');",
        ].join(' '),
      },
    }).then(() => outfile)
    built.set(source, done)
  }
  return done
}

export const WORKER_SOURCE = fileURLToPath(new URL('../../../src/host/engine-worker.ts', import.meta.url))

/** Removes the bundles (call from afterAll: vitest's workers may end without an 'exit' event). */
export function removeBundles(): void {
  built.clear()
  rmSync(outDir, { recursive: true, force: true })
}
