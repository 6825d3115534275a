/**
 * IPC handlers: one `ipcMain.handle` per lab method, each checking that the
 * call comes from the main window's top frame showing the app's own page,
 * then handing the raw arguments to the service, which validates them with
 * the method's zod tuple. Replies are always `LabResult` envelopes.
 */
import { ipcMain, type BrowserWindow } from 'electron'
import { LAB_EVENT_CHANNEL, LAB_METHOD_NAMES, labChannel, type LabResult } from '../shared/lab-api'
import type { LabService } from '../host/lab-service'
import { isTrustedSender } from './sender-check'

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
