/** The Electron lab client: `window.lab` from the preload already speaks `LabApi`. */
import { LAB_METHOD_NAMES, type LabApi } from '../../shared/lab-api'

export function createElectronClient(bridge: LabApi): LabApi {
  const missing = LAB_METHOD_NAMES.filter((name) => typeof bridge[name] !== 'function')
  if (missing.length > 0) throw new Error(`the preload does not expose: ${missing.join(', ')}`)
  return bridge
}
