/**
 * Who may call the lab API over IPC: only the main window's top frame, showing
 * the app's own page. Pure (type-only Electron imports) so it is unit-tested.
 */
import type { BrowserWindow, IpcMainInvokeEvent } from 'electron'

/** Strip query and hash so `app://cnn-lab/index.html#/runs` matches the page itself. */
export function pageOf(url: string): string {
  try {
    const u = new URL(url)
    if (u.protocol === 'file:') return `file://${u.pathname}`
    return `${u.protocol}//${u.host}${u.pathname}`
  } catch {
    return ''
  }
}

type SenderEvent = Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>
type WindowLike = Pick<BrowserWindow, 'isDestroyed' | 'webContents'>

export function isTrustedSender(event: SenderEvent, window: WindowLike | null, appUrl: string): boolean {
  const frame = event.senderFrame
  if (!window || window.isDestroyed() || !frame) return false
  if (event.sender !== window.webContents) return false
  if (frame !== window.webContents.mainFrame || frame.parent !== null) return false
  const page = pageOf(frame.url)
  return page !== '' && page === pageOf(appUrl)
}
