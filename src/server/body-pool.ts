/**
 * One worker thread that parses and validates large request bodies (see
 * body-worker.ts), started on the first large body and kept for the next.
 * Jobs queue in the worker, so big uploads are handled one at a time while
 * the main thread keeps answering small calls and streaming events.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { PreparedCall } from './api-body'
import type { BodyJob, BodyJobResult } from './body-worker'

/** The worker as built JavaScript, or from source through tsx's loader (npm run serve, tests). */
function startWorker(): Worker {
  const here = dirname(fileURLToPath(import.meta.url))
  for (const name of ['body-worker.js', 'body-worker.mjs']) {
    if (existsSync(join(here, name))) return new Worker(join(here, name))
  }
  const entry = pathToFileURL(join(here, 'body-worker.ts')).href
  // tsx's ESM entry (the package's "tsx/esm/api" resolves to its CommonJS twin under require).
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href
  const boot = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}) })`
  return new Worker(boot, { eval: true })
}

export class BodyPool {
  private worker: Worker | null = null
  private nextId = 1
  private readonly pending = new Map<number, { resolve(p: PreparedCall): void; reject(e: Error): void }>()

  prepare(name: string, body: Buffer): Promise<PreparedCall> {
    const worker = this.ensure()
    const id = this.nextId++
    // Transfer the bytes when the buffer owns its whole ArrayBuffer; copy otherwise (a pooled slice).
    const own = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength
    const bytes = own ? new Uint8Array(body.buffer) : new Uint8Array(body)
    const job: BodyJob = { id, name, body: bytes }
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      worker.postMessage(job, [bytes.buffer as ArrayBuffer])
      // Only a pending job keeps the process alive for the worker.
      worker.ref()
    })
  }

  async close(): Promise<void> {
    const worker = this.worker
    this.worker = null
    this.failAll(new Error('the server is shutting down'))
    await worker?.terminate()
  }

  private ensure(): Worker {
    if (this.worker) return this.worker
    const worker = startWorker()
    worker.unref()
    worker.on('message', (result: BodyJobResult) => {
      const job = this.pending.get(result.id)
      if (!job) return
      this.pending.delete(result.id)
      if (this.pending.size === 0) worker.unref()
      if (result.ok) job.resolve(result.prepared)
      else job.reject(new Error(result.error))
    })
    // A worker that dies (out of memory on a hostile body) fails its jobs; the next body starts a new one.
    const gone = (err: Error): void => {
      if (this.worker === worker) this.worker = null
      this.failAll(err)
    }
    worker.on('error', gone)
    worker.on('exit', (code) => gone(new Error(`the body worker ended (exit code ${code})`)))
    this.worker = worker
    return worker
  }

  private failAll(err: Error): void {
    const jobs = [...this.pending.values()]
    this.pending.clear()
    for (const job of jobs) job.reject(err)
  }
}
