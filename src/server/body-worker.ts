/**
 * The body worker's entry (a worker_threads worker, started by body-pool.ts):
 * JSON.parse and validation of large request bodies, so a 70 MB upload never
 * stalls the server's event loop.
 */
import { parentPort } from 'node:worker_threads'
import { LabService } from '../host/lab-service'
import { prepareLargeCall, type PreparedCall } from './api-body'

export interface BodyJob {
  id: number
  name: string
  /** The body's bytes, transferred (not copied) from the main thread. */
  body: Uint8Array
}

export type BodyJobResult = { id: number; ok: true; prepared: PreparedCall } | { id: number; ok: false; error: string }

// No data folder: only the methods that need no host state can run here.
const pure = new LabService({ door: 'browser', version: '' })
const decoder = new TextDecoder()

parentPort?.on('message', (job: BodyJob) => {
  void (async (): Promise<BodyJobResult> => {
    try {
      return { id: job.id, ok: true, prepared: await prepareLargeCall(job.name, decoder.decode(job.body), pure) }
    } catch (err) {
      return { id: job.id, ok: false, error: err instanceof Error ? err.message : String(err) }
    }
  })().then((result) => parentPort?.postMessage(result))
})
