/** Native open / save dialogs for the lab service, attached to the main window. */
import { dialog, type BrowserWindow } from 'electron'
import type { DoorDialogs } from '../host/lab-service'

const FILTERS = {
  experiment: [{ name: 'CNN Lab experiment', extensions: ['json'] }],
  png: [{ name: 'PNG image', extensions: ['png'] }],
  svg: [{ name: 'SVG image', extensions: ['svg'] }],
  zip: [{ name: 'Zip archive', extensions: ['zip'] }],
}

export function nativeDialogs(window: () => BrowserWindow | null): DoorDialogs {
  return {
    async openExperiment() {
      const options = { properties: ['openFile' as const], filters: FILTERS.experiment }
      const owner = window()
      const result = owner ? await dialog.showOpenDialog(owner, options) : await dialog.showOpenDialog(options)
      return result.canceled ? null : (result.filePaths[0] ?? null)
    },
    async saveFile(suggestedName, kind) {
      const options = { defaultPath: suggestedName, filters: FILTERS[kind] }
      const owner = window()
      const result = owner ? await dialog.showSaveDialog(owner, options) : await dialog.showSaveDialog(options)
      return result.canceled ? null : (result.filePath ?? null)
    },
  }
}
