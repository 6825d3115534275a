/**
 * What the user picked to import (a zip of train.py's output folder, or the
 * folder itself) as the `importRun` argument the lab API defines.
 */
import type { ImportSource } from '../../shared/lab-api'

/** The part of a File this needs; a folder upload names each file by its path under the folder. */
export interface PickedFile {
  name: string
  webkitRelativePath?: string
  arrayBuffer(): Promise<ArrayBuffer>
}

export async function importSourceFrom(picked: readonly PickedFile[]): Promise<ImportSource> {
  if (picked.length === 0) throw new Error('import: no file was picked')
  if (picked.length === 1 && !picked[0].webkitRelativePath && /\.zip$/i.test(picked[0].name)) {
    return { zip: new Uint8Array(await picked[0].arrayBuffer()) }
  }
  const files: Record<string, Uint8Array<ArrayBuffer>> = {}
  // The host drops a single top folder and keeps only a run folder's own files.
  for (const file of picked) files[file.webkitRelativePath || file.name] = new Uint8Array(await file.arrayBuffer())
  return { files }
}
