/**
 * IPC handlers: one `ipcMain.handle` per lab method, each checking that the
 * call comes from the main window's top frame showing the app's own page,
 * then handing the raw arguments to the service, which validates them with
 * the method's zod tuple. Replies are always `LabResult` envelopes.
 */
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron'
import { LAB_EVENT_CHANNEL, LAB_METHOD_NAMES, labChannel, type LabResult } from '../shared/lab-api'
import type { LabService } from '../host/lab-service'

/** Strip query and hash so `file:///…/index.html#/runs` matches the page itself. */
function pageOf(url: string): string {
  try {
    const u = new URL(url)
    return `${u.protocol}//${u.host}${u.pathname}`
  } catch {
    return ''
  }
}

export function isTrustedSender(event: IpcMainInvokeEvent, window: BrowserWindow | null, appUrl: string): boolean {
  const frame = event.senderFrame
  if (!window || window.isDestroyed() || !frame) return false
  if (event.sender !== window.webContents) return false
  if (frame !== window.webContents.mainFrame || frame.parent !== null) return false
  return pageOf(frame.url) === pageOf(appUrl)
}

export function registerLabIpc(service: LabService, getWindow: () => BrowserWindow | null, appUrl: string): () => void {
  for (const name of LAB_METHOD_NAMES) {
    ipcMain.handle(labChannel(name), async (event, rawArgs: unknown): Promise<LabResult> => {
      if (!isTrustedSender(event, getWindow(), appUrl)) {
        return { ok: false, error: 'refused: call from an untrusted frame' }
      }
      return service.call(name, rawArgs)
    })
  }
  const unsubscribe = service.onEvent((labEvent) => {
    const window = getWindow()
    if (window && !window.isDestroyed()) window.webContents.send(LAB_EVENT_CHANNEL, labEvent)
  })
  return () => {
    unsubscribe()
    for (const name of LAB_METHOD_NAMES) ipcMain.removeHandler(labChannel(name))
  }
}
