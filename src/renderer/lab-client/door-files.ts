/**
 * What differs between the doors beyond the lab API calls: how a file is
 * opened or saved. Electron shows native dialogs through the host; the
 * browser door uses a file input and a download, and asks the host only to
 * validate what was read.
 */
import type { Experiment } from '../../shared/experiment'
import { experimentFileText } from '../../shared/experiment-file'
import type { LabApi } from '../../shared/lab-api'
import { blobBase64, type FigureFormat } from '../lib/figure-file'

export interface OpenedExperiment {
  /** The file's name (browser) or path (Electron), for the title and messages. */
  name: string
  experiment: Experiment
}

export interface DoorFiles {
  /** Null when the user cancelled. */
  openExperiment(): Promise<OpenedExperiment | null>
  /**
   * Writes exactly `experimentFileText(experiment)` (the host does it in
   * Electron, the page in the browser door), so the size the save dialog
   * showed is the size of the file. The caller chose what the experiment keeps.
   */
  saveExperiment(experiment: Experiment, suggestedName: string): Promise<{ path: string } | null>
  /** The figure's file as rendered (lib/figure-file.ts); the browser downloads it as it is. */
  saveFigure(fileName: string, format: FigureFormat, file: Blob): Promise<{ path: string } | null>
  /** A zip the renderer built or the host made (a view's "Export all", a PyTorch project). */
  saveZip(fileName: string, bytes: Uint8Array): Promise<{ path: string } | null>
}

export const EXPERIMENT_SUFFIX = '.cnnlab.json'

/** A file name from an experiment's name: letters, digits and dashes only. */
export function safeFileStem(name: string): string {
  const stem = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
  return stem || 'experiment'
}

export function electronFiles(lab: LabApi): DoorFiles {
  return {
    async openExperiment() {
      const opened = await lab.openExperimentDialog()
      return opened ? { name: opened.path, experiment: opened.experiment } : null
    },
    saveExperiment: (experiment, suggestedName) => lab.saveExperimentDialog(experiment, `${safeFileStem(suggestedName)}${EXPERIMENT_SUFFIX}`),
    saveFigure: async (fileName, format, file) => lab.exportFigure(fileName, format, await blobBase64(file)),
    saveZip: async (fileName, bytes) => lab.exportFigure(fileName, 'zip', await blobBase64(new Blob([bytes as BlobPart]))),
  }
}

function download(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = fileName
  a.style.display = 'none'
  document.body.appendChild(a)
  a.click()
  a.remove()
  // Revoke later: the download may still be reading the blob.
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}

function pickFile(accept: string): Promise<File | null> {
  return new Promise((resolve) => {
    const input = document.createElement('input')
    input.type = 'file'
    input.accept = accept
    input.style.display = 'none'
    input.dataset.testid = 'open-file-input'
    const done = (file: File | null) => {
      input.remove()
      resolve(file)
    }
    input.addEventListener('change', () => done(input.files?.[0] ?? null), { once: true })
    input.addEventListener('cancel', () => done(null), { once: true })
    document.body.appendChild(input)
    input.click()
  })
}

export function browserFiles(lab: LabApi): DoorFiles {
  return {
    async openExperiment() {
      const file = await pickFile(`.json,${EXPERIMENT_SUFFIX}`)
      if (!file) return null
      // The host validates (and migrates) with the one schema, naming any bad field;
      // the file's name goes in front, as the host's own reader says it in Electron.
      try {
        return { name: file.name, experiment: await lab.parseExperimentText(await file.text()) }
      } catch (error) {
        throw new Error(`${file.name}: ${(error as Error).message}`)
      }
    },
    async saveExperiment(experiment, suggestedName) {
      const fileName = `${safeFileStem(suggestedName)}${EXPERIMENT_SUFFIX}`
      download(new Blob([experimentFileText(experiment)], { type: 'application/json' }), fileName)
      return { path: fileName }
    },
    async saveFigure(fileName, _format, file) {
      download(file, fileName)
      return { path: fileName }
    },
    async saveZip(fileName, bytes) {
      download(new Blob([bytes as BlobPart], { type: 'application/zip' }), fileName)
      return { path: fileName }
    },
  }
}
