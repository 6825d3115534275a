/**
 * Probes that need a whole validation set (the shift-robustness map) run in a
 * short-lived engine worker of their own, never in the training worker: a
 * probe must not slow or disturb a live run, and it must answer for any run
 * (live, just finished, reopened from disk, or read from a file), so the
 * request carries the experiment and the weights and the worker rebuilds the
 * models. The worker is ended as soon as the answer (or a failure) arrives.
 */
import { parseWorkerToHost, type ProbeRequest, type RobustnessResult } from '../shared/engine-protocol'
import type { Experiment } from '../shared/experiment'
import type { NamedWeights } from '../shared/training-events'
import type { WorkerHandle } from './worker-handle'

export class ProbeError extends Error {
  override name = 'ProbeError'
}

export interface ProbeProgress {
  probeId: string
  done: number
  total: number
}

export interface RobustnessMapRequest {
  probeId: string
  experiment: Experiment
  weights: Record<string, NamedWeights>
  range: number
}

interface Running {
  worker: WorkerHandle
  cancelled: boolean
}

export class ProbeRunner {
  private readonly running = new Map<string, Running>()

  constructor(
    private readonly forkWorker: () => WorkerHandle,
    private readonly onProgress: (progress: ProbeProgress) => void,
    private readonly readyTimeoutMs = 30_000,
  ) {}

  /** Val accuracy of each model at every (dx, dy) in [-range, range]². */
  robustnessMap(request: RobustnessMapRequest): Promise<Record<string, RobustnessResult>> {
    const { probeId } = request
    if (this.running.has(probeId)) return Promise.reject(new ProbeError(`a probe "${probeId}" is already running`))
    // The results (metrics, snapshots) are not needed to rebuild the models.
    const { results: _results, ...experiment } = request.experiment
    const probe: ProbeRequest = { kind: 'robustness-map', experiment, weights: request.weights, range: request.range }
    let worker: WorkerHandle
    try {
      worker = this.forkWorker()
    } catch (error) {
      return Promise.reject(new ProbeError(`cannot start an engine process for the probe: ${(error as Error).message}`))
    }
    const entry: Running = { worker, cancelled: false }
    this.running.set(probeId, entry)
    return new Promise<Record<string, RobustnessResult>>((resolve, reject) => {
      let settled = false
      const settle = (fn: () => void): void => {
        if (settled) return
        settled = true
        clearTimeout(readyTimer)
        this.running.delete(probeId)
        worker.kill('SIGKILL')
        fn()
      }
      const readyTimer = setTimeout(() => settle(() => reject(new ProbeError('the probe\'s engine process did not start in time'))), this.readyTimeoutMs)
      worker.onMessage((raw) => {
        const parsed = parseWorkerToHost(raw)
        if (!parsed.ok) return
        const message = parsed.value
        switch (message.type) {
          case 'ready':
            clearTimeout(readyTimer)
            worker.postMessage({ type: 'probe', id: probeId, request: probe })
            return
          case 'probe-progress':
            if (message.id === probeId) this.onProgress({ probeId, done: message.done, total: message.total })
            return
          case 'probe-result':
            if (message.id === probeId && message.result.kind === 'robustness-map') {
              const models = message.result.models
              settle(() => resolve(models))
            }
            return
          case 'probe-failed':
            if (message.id === probeId) settle(() => reject(new ProbeError(message.message)))
            return
          case 'error':
            settle(() => reject(new ProbeError(`engine process: ${message.message}`)))
            return
          default:
            return
        }
      })
      worker.onExit((code, signal) => {
        const why = entry.cancelled ? 'the probe was cancelled' : `the probe's engine process ended (${signal ?? `code ${code}`})`
        settle(() => reject(new ProbeError(why)))
      })
    })
  }

  cancel(probeId: string): void {
    const entry = this.running.get(probeId)
    if (!entry) return
    entry.cancelled = true
    entry.worker.kill('SIGKILL')
  }

  dispose(): void {
    for (const id of [...this.running.keys()]) this.cancel(id)
  }
}
