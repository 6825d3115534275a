/** The application menu. Open… and Save… tell the renderer, which runs the same commands as Ctrl+O / Ctrl+S. */
import { Menu, app, type MenuItemConstructorOptions } from 'electron'
import type { LabService } from '../host/lab-service'

export function buildMenu(service: LabService): Menu {
  const isMac = process.platform === 'darwin'
  const dev = !app.isPackaged && process.env.NODE_ENV_ELECTRON_VITE === 'development'
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Open…', accelerator: 'CmdOrCtrl+O', click: () => service.emit({ type: 'menu', action: 'open' }) },
        { label: 'Save…', accelerator: 'CmdOrCtrl+S', click: () => service.emit({ type: 'menu', action: 'save' }) },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        ...(dev ? [{ role: 'reload' as const }, { role: 'toggleDevTools' as const }, { type: 'separator' as const }] : []),
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
  ]
  return Menu.buildFromTemplate(template)
}
