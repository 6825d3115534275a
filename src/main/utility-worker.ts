/**
 * The engine worker under Electron: a utility process (Chromium's own child
 * process type, not a renderer), speaking the same protocol as the Node door's
 * child_process.fork. The worker entry is built next to this file.
 */
import { utilityProcess } from 'electron'
import { constants } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { STDERR_TAIL, type WorkerHandle } from '../host/worker-handle'
import { budgetFromEnv, workerHeapMb } from '../shared/budget'

const here = fileURLToPath(new URL('.', import.meta.url))

/** `heapMb`: V8's heap cap for the worker; by default the one the budget from the environment gives (the desktop app has no flags). */
export function forkUtilityWorker(heapMb: number = workerHeapMb(budgetFromEnv(process.env))): WorkerHandle {
  const child = utilityProcess.fork(join(here, 'engine-worker.js'), [], {
    serviceName: 'CNN Lab engine',
    stdio: ['ignore', 'ignore', 'pipe'],
    // A model that outgrows the budget ends in V8's out-of-memory abort, which the supervisor reports as such.
    execArgv: [`--max-old-space-size=${Math.round(heapMb)}`],
  })
  let stderr = ''
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL)
  })
  let exited = false
  return {
    get pid() {
      return child.pid
    },
    postMessage(message) {
      if (!exited) child.postMessage(message)
    },
    onMessage(listener) {
      child.on('message', listener)
    },
    onExit(listener) {
      // A utility process reports only an exit code; 128 + N is how a death by signal N shows.
      child.once('exit', (code) => {
        exited = true
        listener(code, signalName(code))
      })
    },
    kill(signal = 'SIGTERM') {
      if (exited) return
      // child.kill() can only send SIGTERM; a hard stop after the grace period needs SIGKILL.
      if (signal === 'SIGKILL' && child.pid !== undefined) process.kill(child.pid, 'SIGKILL')
      else child.kill()
    },
    lastError: () => stderr.trim().split('\n').at(-1),
    stderrTail: () => stderr,
  }
}

function signalName(code: number | null): string | null {
  if (code === null || code <= 128) return null
  const entry = Object.entries(constants.signals).find(([, number]) => number === code - 128)
  return entry ? entry[0] : null
}
