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
}

export interface ForkNodeWorkerOptions {
  /** The worker entry; defaults to engine-worker next to this module (.js when built, .ts from source). */
  entry?: string
  /** Extra environment for the worker. */
  env?: NodeJS.ProcessEnv
}

const STDERR_TAIL = 2000

export function defaultWorkerEntry(): string {
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
  }
}
