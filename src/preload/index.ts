/**
 * The preload: exposes `window.lab` (the `LabApi` contract) and nothing else.
 *
 * Built as CommonJS (sandboxed preloads cannot be ES modules). It never
 * exposes `ipcRenderer` or an IPC event object: each method is a small
 * function that invokes its own channel, and event listeners get only the
 * event's data, validated.
 */
import { contextBridge, ipcRenderer } from 'electron'
import {
  LAB_EVENT_CHANNEL,
  LAB_METHOD_NAMES,
  LabEventSchema,
  labChannel,
  unwrapResult,
  type LabApi,
  type LabEventListener,
  type LabMethodName,
} from '../shared/lab-api'

function invoker(name: LabMethodName) {
  const channel = labChannel(name)
  return async (...args: unknown[]): Promise<unknown> => unwrapResult(await ipcRenderer.invoke(channel, args))
}

const methods = Object.fromEntries(LAB_METHOD_NAMES.map((name) => [name, invoker(name)]))

const lab = {
  ...methods,
  onEvent(listener: LabEventListener): () => void {
    const forward = (_event: Electron.IpcRendererEvent, data: unknown): void => {
      const parsed = LabEventSchema.safeParse(data)
      if (parsed.success) listener(parsed.data)
    }
    ipcRenderer.on(LAB_EVENT_CHANNEL, forward)
    return () => {
      ipcRenderer.removeListener(LAB_EVENT_CHANNEL, forward)
    }
  },
} as LabApi

contextBridge.exposeInMainWorld('lab', lab)
