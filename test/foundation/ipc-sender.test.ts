import type { BrowserWindow, IpcMainInvokeEvent } from 'electron'
import { describe, expect, it } from 'vitest'
import { isTrustedSender, pageOf } from '../../src/main/sender-check'
import { APP_URL } from '../../src/main/app-protocol'

// The renderer is served over app:// (never file://), so that is the page a trusted sender shows.
const APP = APP_URL

function fakeWindow(url = APP, destroyed = false) {
  const mainFrame = { url, parent: null as unknown }
  const webContents = { mainFrame }
  const window = { isDestroyed: () => destroyed, webContents }
  return { window, webContents, mainFrame }
}
const asWindow = (w: unknown) => w as BrowserWindow
const asEvent = (e: unknown) => e as IpcMainInvokeEvent

describe('IPC sender check', () => {
  it('accepts the main window top frame on the app page (hash and query ignored)', () => {
    const { window, webContents, mainFrame } = fakeWindow(APP + '#/runs')
    expect(isTrustedSender(asEvent({ sender: webContents, senderFrame: mainFrame }), asWindow(window), APP)).toBe(true)
  })

  it('refuses a subframe, another web contents, a foreign page, a missing frame or a closed window', () => {
    const { window, webContents, mainFrame } = fakeWindow()
    const sub = { url: APP, parent: mainFrame }
    expect(isTrustedSender(asEvent({ sender: webContents, senderFrame: sub }), asWindow(window), APP)).toBe(false)
    expect(isTrustedSender(asEvent({ sender: {}, senderFrame: mainFrame }), asWindow(window), APP)).toBe(false)
    expect(isTrustedSender(asEvent({ sender: webContents, senderFrame: null }), asWindow(window), APP)).toBe(false)
    expect(isTrustedSender(asEvent({ sender: webContents, senderFrame: mainFrame }), null, APP)).toBe(false)
    const closed = fakeWindow(APP, true)
    expect(isTrustedSender(asEvent({ sender: closed.webContents, senderFrame: closed.mainFrame }), asWindow(closed.window), APP)).toBe(false)
    const foreign = [
      'https://evil.example/index.html',
      'file:///tmp/index.html',
      // The same bundle opened over file:// is not the app page any more.
      'file:///opt/cnn-lab/resources/app.asar/out/renderer/index.html',
      'app://other-host/index.html',
      'app://cnn-lab/other.html',
      'about:blank',
      'not a url',
    ]
    for (const url of foreign) {
      const other = fakeWindow(url)
      expect(isTrustedSender(asEvent({ sender: other.webContents, senderFrame: other.mainFrame }), asWindow(other.window), APP)).toBe(false)
    }
  })

  it('pageOf drops query and hash only', () => {
    expect(pageOf('http://localhost:5173/?x=1#a')).toBe('http://localhost:5173/')
    expect(pageOf(APP + '?a#b')).toBe(APP)
    expect(pageOf('garbage')).toBe('')
  })
})
