/**
 * Starts a worker thread on an entry file, TypeScript or built JavaScript.
 * Under tsx (the terminal and browser doors in development, the tests) the
 * entry is a .ts file and the thread starts in ./tsx-worker.mjs, which
 * registers tsx in that thread first; a built app loads its .js directly.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads'

export function startWorkerThread(entry: URL, options: WorkerOptions & { workerData: object }): Worker {
  return entry.pathname.endsWith('.ts')
    ? new Worker(new URL('./tsx-worker.mjs', import.meta.url), { ...options, workerData: { ...options.workerData, entry: entry.href } })
    : new Worker(entry, options)
}
