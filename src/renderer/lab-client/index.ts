/**
 * The lab client: the renderer's one way to reach the host. The same
 * interface (`LabApi`) has an Electron implementation (the preload's
 * `window.lab`) and an HTTP one (the browser door); the rest of the renderer
 * never knows which door it came through.
 */
import type { LabApi } from '../../shared/lab-api'
import { createElectronClient } from './electron'
import { createHttpClient } from './http'

export type LabClient = LabApi

let client: LabClient | null = null

export function getLabClient(): LabClient {
  client ??= window.lab ? createElectronClient(window.lab) : createHttpClient(window.location, window.sessionStorage, window.history)
  return client
}

/** For tests: use a given client. */
export function setLabClient(next: LabClient | null): void {
  client = next
}
