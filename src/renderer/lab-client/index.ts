/**
 * The lab client: the renderer's one way to reach the host. The same
 * interface has an Electron implementation (the preload's `window.lab` and
 * native dialogs) and an HTTP one (the browser door, with a file input and
 * downloads); the rest of the renderer never knows which door it came through.
 */
import { LAB_METHOD_NAMES, type LabApi } from '../../shared/lab-api'
import { browserFiles, electronFiles, type DoorFiles } from './door-files'
import { createElectronClient } from './electron'
import { createHttpClient } from './http'

export type { DoorFiles, OpenedExperiment } from './door-files'
export type LabClient = LabApi & DoorFiles

let client: LabClient | null = null

export function getLabClient(): LabClient {
  if (!client) {
    const api = window.lab ? createElectronClient(window.lab) : createHttpClient(window.location, window.sessionStorage, window.history)
    // Copied method by method: a contextBridge object is not guaranteed to spread like a plain one.
    const methods = Object.fromEntries(LAB_METHOD_NAMES.map((name) => [name, api[name]]))
    const files = window.lab ? electronFiles(api) : browserFiles(api)
    client = { ...methods, onEvent: (listener) => api.onEvent(listener), ...files } as LabClient
  }
  return client
}

/** For tests: use a given client. */
export function setLabClient(next: LabClient | null): void {
  client = next
}
