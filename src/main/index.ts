/**
 * The Electron door: one hardened window showing the built renderer.
 * Kept thin: everything the lab does lives in the host services (src/host).
 */
import { app, BrowserWindow, dialog, Menu, protocol, session } from 'electron'
import path from 'node:path'
import { LabService } from '../host/lab-service'
import { lockDataDir } from '../host/data-lock'
import { registerLabIpc } from './ipc'
import { buildMenu } from './menu'
import { nativeDialogs } from './dialogs'
import { forkUtilityWorker } from './utility-worker'
import { APP_SCHEME, APP_SCHEME_PRIVILEGES, APP_URL, rendererResponse } from './app-protocol'
import { disposeBeforeQuit } from './quit-guard'

/** What closing the window does besides closing it: stop its run. Set once the service exists. */
let onWindowClosed: (() => void) | undefined

const here = import.meta.dirname
const rendererDir = path.join(here, '..', 'renderer')
const devUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined
// The built renderer over app:// (src/main/app-protocol.ts), never as local files.
const appUrl = devUrl ?? APP_URL

let mainWindow: BrowserWindow | null = null

app.enableSandbox()
// Must happen before 'ready': privileges cannot be granted to a scheme later.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: APP_SCHEME_PRIVILEGES }])

function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url)
    const a = new URL(appUrl)
    return u.protocol === a.protocol && u.host === a.host && u.pathname === a.pathname
  } catch {
    return false
  }
}

// Every web contents (the window, and anything it might try to create): no navigation, no new windows, no webviews.
app.on('web-contents-created', (_event, contents) => {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault()
  })
  contents.on('will-redirect', (event) => event.preventDefault())
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.setWindowOpenHandler(() => ({ action: 'deny' }))
})

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'CNN Lab',
    backgroundColor: '#f7f8fa',
    webPreferences: {
      preload: path.join(here, '..', 'preload', 'index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      // Middle-click must not open links in new windows.
      disableBlinkFeatures: 'Auxclick',
    },
  })
  window.once('ready-to-show', () => window.show())
  window.on('closed', () => {
    mainWindow = null
    onWindowClosed?.()
  })
  void window.loadURL(appUrl)
  return window
}

void app.whenReady().then(() => {
  session.defaultSession.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false))
  session.defaultSession.setPermissionCheckHandler(() => false)
  protocol.handle(APP_SCHEME, (request) => rendererResponse(rendererDir, request.url, request.method))

  // One owner per data folder (src/host/data-lock.ts): with a browser door or another app already
  // on it, say who and quit, rather than open read-only: every view here can start or delete runs.
  const dataDir = app.getPath('userData')
  let lock: ReturnType<typeof lockDataDir>
  try {
    lock = lockDataDir(dataDir, 'electron')
  } catch (error) {
    dialog.showErrorBox('CNN Lab is already open on its data folder', error instanceof Error ? error.message : String(error))
    app.exit(1)
    return
  }

  const service = new LabService({
    door: 'electron',
    version: app.getVersion(),
    name: app.getName(),
    dataDir,
    dialogs: nativeDialogs(() => mainWindow),
    forkWorker: forkUtilityWorker,
  })
  service.init().catch((error: unknown) => {
    dialog.showErrorBox('CNN Lab cannot use its data folder', error instanceof Error ? error.message : String(error))
  })
  // Quitting waits (5 s at most) for the run to stop, be marked "stopped" and write its final weights.
  disposeBeforeQuit(app, () => service.dispose(), {
    onDone: (outcome) => {
      if (outcome !== 'disposed') process.stderr.write(`CNN Lab: quitting before the engine stopped (${outcome})\n`)
      lock.release()
    },
  })
  registerLabIpc(service, () => mainWindow, appUrl)
  onWindowClosed = () => void service.stopRun().catch(() => undefined)
  Menu.setApplicationMenu(buildMenu(service))

  mainWindow = createWindow()
  mainWindow.webContents.on('did-finish-load', () => {
    service.emit(service.helloEvent())
  })

  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow()
  })
})

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})
