/**
 * The two ways the lab writes files so that a crash or a kill never leaves one
 * half-written: whole files go to a temp file in the same folder, are fsynced
 * and renamed over the target (write-file-atomic); log lines are appended and
 * fsynced, so a reader sees at worst one torn last line.
 */
import { open } from 'node:fs/promises'
import writeFileAtomicLib from 'write-file-atomic'

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await writeFileAtomicLib(path, typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength), {
    fsync: true,
  })
}

/** Appends `line` plus a newline to the file at `path` (created if missing) and flushes it to disk. */
export async function appendLineDurable(path: string, line: string): Promise<void> {
  if (line.includes('\n')) throw new Error('appendLineDurable: a line must not contain a newline')
  const handle = await open(path, 'a')
  try {
    // One write call for the line and its newline, so a kill tears at most this line.
    await handle.write(`${line}\n`)
    await handle.sync()
  } finally {
    await handle.close()
  }
}
