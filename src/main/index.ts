/**
 * The Electron door: one hardened window showing the built renderer.
 * Kept thin: everything the lab does lives in the host services (src/host).
 */
import { app, BrowserWindow, dialog, Menu, session } from 'electron'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { LabService } from '../host/lab-service'
import { registerLabIpc } from './ipc'
import { buildMenu } from './menu'
import { nativeDialogs } from './dialogs'
import { forkUtilityWorker } from './utility-worker'

/** What closing the window does besides closing it: stop its run. Set once the service exists. */
let onWindowClosed: (() => void) | undefined

const here = import.meta.dirname
const rendererIndex = path.join(here, '..', 'renderer', 'index.html')
const devUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined
const appUrl = devUrl ?? pathToFileURL(rendererIndex).href

let mainWindow: BrowserWindow | null = null

app.enableSandbox()

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
  if (devUrl) void window.loadURL(devUrl)
  else void window.loadFile(rendererIndex)
  return window
}

void app.whenReady().then(() => {
  session.defaultSession.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false))
  session.defaultSession.setPermissionCheckHandler(() => false)

  const service = new LabService({
    door: 'electron',
    version: app.getVersion(),
    name: app.getName(),
    dataDir: app.getPath('userData'),
    dialogs: nativeDialogs(() => mainWindow),
    forkWorker: forkUtilityWorker,
  })
  service.init().catch((error: unknown) => {
    dialog.showErrorBox('CNN Lab cannot use its data folder', error instanceof Error ? error.message : String(error))
  })
  // Closing the window stops its run (marked "stopped" on disk) and ends the engine process.
  app.on('before-quit', () => void service.dispose())
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
