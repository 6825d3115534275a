/**
 * The two ways the lab writes files so that a crash or a kill never leaves one
 * half-written: whole files go to a temp file in the same folder, are fsynced
 * and renamed over the target; log lines are appended and fsynced, so a
 * reader sees at worst one torn last line.
 *
 * The whole-file write is our own rather than the write-file-atomic package's:
 * that one issues a single write() and ignores a short count, so on a disk
 * that fills up mid-file it renamed a truncated temp file over the target (a
 * snapshot cut at 1 MB, found by the 2 MB tmpfs test); and it resolves the
 * target through links. FileHandle.writeFile writes until every byte is down or
 * throws (ENOSPC), and the temp file is created exclusively (O_EXCL), never
 * through something already at its name.
 */
import { randomInt } from 'node:crypto'
import { open, rename, stat, unlink } from 'node:fs/promises'
import { resolve } from 'node:path'

/** Writes to one path, in call order (a later save never lands before an earlier one). */
const pending = new Map<string, Promise<void>>()

/** Temp files are `<target>.<decimal 32-bit number>`, the pattern the run store's clean-up removes. */
function tempPathFor(path: string): string {
  return `${path}.${randomInt(0, 2 ** 32)}`
}

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const target = resolve(path)
  const previous = pending.get(target) ?? Promise.resolve()
  const write = previous.then(() => replaceFile(target, data))
  const settled = write.catch(() => undefined)
  pending.set(target, settled)
  void settled.then(() => {
    if (pending.get(target) === settled) pending.delete(target)
  })
  return write
}

async function replaceFile(target: string, data: string | Uint8Array): Promise<void> {
  // Keep an existing file's permissions (a user's chmod survives a save).
  const mode = (await stat(target).catch(() => undefined))?.mode
  const temp = tempPathFor(target)
  let handle
  try {
    handle = await open(temp, 'wx', mode !== undefined ? mode & 0o7777 : 0o666)
    await handle.writeFile(data)
    await handle.sync()
    await handle.close()
    handle = undefined
    await rename(temp, target)
  } catch (error) {
    await handle?.close().catch(() => undefined)
    await unlink(temp).catch(() => undefined)
    throw error
  }
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
