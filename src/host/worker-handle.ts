/**
 * What the engine supervisor needs of a worker process, whoever launched it:
 * `forkNodeWorker` here (child_process.fork: browser door, terminal door,
 * tests) or the Electron door's utilityProcess launcher, which implements the
 * same interface in src/main.
 */
import { fork } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { HostToWorker } from '../shared/engine-protocol'
import { formatBytes } from '../shared/budget'

export interface WorkerHandle {
  readonly pid: number | undefined
  postMessage(message: HostToWorker): void
  /** Every message the worker sends, unvalidated. */
  onMessage(listener: (message: unknown) => void): void
  /** Once, when the process is gone: its exit code, or the signal that ended it. */
  onExit(listener: (code: number | null, signal: string | null) => void): void
  kill(signal?: NodeJS.Signals): void
  /** The last line the worker wrote to stderr, when the launcher keeps it (for crash reasons). */
  lastError?(): string | undefined
  /** The last STDERR_TAIL characters of stderr (V8's out-of-memory report ends in native stack lines). */
  stderrTail?(): string
}

export interface ForkNodeWorkerOptions {
  /** The worker entry; defaults to engine-worker next to this module (.js when built, .ts from source). */
  entry?: string
  /** Extra environment for the worker. */
  env?: NodeJS.ProcessEnv
  /** V8's heap cap for the worker (--max-old-space-size, MB): see workerHeapMb in src/shared/budget.ts. */
  heapMb?: number
}

export const STDERR_TAIL = 2000

/** What V8 and Node print when an allocation fails: the heap cap was reached, or an ArrayBuffer could not be had. */
const OUT_OF_MEMORY_WORDS = /heap out of memory|Allocation failed|Array buffer allocation failed|ERR_WORKER_OUT_OF_MEMORY|Cannot allocate memory/i

/**
 * The reason to record when a worker died for memory, or null when it did not.
 * V8 aborts (SIGABRT, exit code 134 where only a code is seen) when its heap
 * cap is reached and says "heap out of memory" on stderr; the system's
 * out-of-memory killer sends SIGKILL (137), which the supervisor never sends to
 * a running worker unasked, so an unexpected SIGKILL is read as memory too.
 */
export function memoryFailure(code: number | null, signal: string | null, stderr: string | undefined, budgetBytes: number): string | null {
  const words = `the engine ran out of memory (budget ${formatBytes(budgetBytes)}): make the model or the batch smaller`
  if (signal === 'SIGABRT' || code === 134 || OUT_OF_MEMORY_WORDS.test(stderr ?? '')) return words
  if (signal === 'SIGKILL' || code === 137) return `${words}; the process was killed (SIGKILL), which is how the system ends a process that runs out of memory`
  return null
}

function defaultWorkerEntry(): string {
  const here = dirname(fileURLToPath(import.meta.url))
  for (const name of ['engine-worker.js', 'engine-worker.mjs', 'engine-worker.ts']) {
    const path = join(here, name)
    if (existsSync(path)) return path
  }
  throw new Error(`cannot find the engine worker next to ${here}`)
}

/** Forks the engine worker with Node's child_process, through tsx when it is TypeScript. */
export function forkNodeWorker(options: ForkNodeWorkerOptions = {}): WorkerHandle {
  const entry = options.entry ?? defaultWorkerEntry()
  const execArgv = entry.endsWith('.ts')
    ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href]
    : []
  // A model that outgrows the budget ends in V8's own out-of-memory abort, not in the system swapping.
  if (options.heapMb !== undefined) execArgv.push(`--max-old-space-size=${Math.round(options.heapMb)}`)
  const child = fork(entry, [], {
    execArgv,
    // Structured clone, so Float32Array / Float64Array weights cross as themselves.
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { ...process.env, ...options.env },
  })
  // The last words of a crashing worker go into the run's failure reason.
  let stderr = ''
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL)
  })
  // A failed send (the child just died) surfaces as the exit, not as an unhandled error.
  child.on('error', () => undefined)
  return {
    get pid() {
      return child.pid
    },
    postMessage(message) {
      if (child.connected) child.send(message, (error) => void error)
    },
    onMessage(listener) {
      child.on('message', listener)
    },
    onExit(listener) {
      // 'close' comes after stderr is drained, so the tail is complete.
      child.once('close', (code, signal) => listener(code, signal))
    },
    kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    },
    lastError() {
      return stderr
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean)
        .at(-1)
    },
    stderrTail: () => stderr,
  }
}
