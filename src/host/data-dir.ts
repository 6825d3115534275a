/**
 * Where the browser and terminal doors keep runs and the recent-files list
 * when the user does not say: the platform's per-user data folder, the same
 * place Electron's app.getPath('userData') points at for the desktop app, so
 * all three doors see the same runs.
 */
import { homedir } from 'node:os'
import { join } from 'node:path'

const APP_FOLDER = 'CNN Lab'

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.CNN_LAB_DATA) return env.CNN_LAB_DATA
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), APP_FOLDER)
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', APP_FOLDER)
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), APP_FOLDER)
}
