/**
 * The recent experiment files, most recent first, persisted as a small JSON
 * file in the app's data folder (`recent-files.json`).
 *
 * A missing or damaged list is an empty list, never an error: losing the
 * "recent" menu must not stop the lab from starting.
 */
import { readFile } from 'node:fs/promises'
import { isAbsolute, resolve } from 'node:path'
import { z } from 'zod'
import { writeFileAtomic } from './atomic-file'

export const RECENT_FILES_NAME = 'recent-files.json'
const MAX_PATH = 4096

const RecentPath = z
  .string()
  .min(1)
  .max(MAX_PATH)
  .refine((p) => !p.includes('\0') && isAbsolute(p), 'must be an absolute path')

const RecentFile = z.object({
  format: z.literal('cnn-lab.recent-files'),
  version: z.literal(1),
  files: z.array(z.unknown()).max(1000),
})

export class RecentFiles {
  private files: string[] = []
  /** One read, shared by every caller that arrives before it finishes. */
  private loading: Promise<void> | undefined
  /** Writes one after another, so the last one always wins. */
  private queue: Promise<void> = Promise.resolve()

  constructor(
    /** The JSON file, e.g. join(app.getPath('userData'), RECENT_FILES_NAME). */
    readonly path: string,
    readonly max = 10,
  ) {}

  /** Loads the list (once); anything unreadable counts as empty. */
  async load(): Promise<string[]> {
    this.loading ??= this.read()
    await this.loading
    return [...this.files]
  }

  private async read(): Promise<void> {
    try {
      const parsed = RecentFile.safeParse(JSON.parse(await readFile(this.path, 'utf8')))
      if (parsed.success) {
        // One bad entry does not cost the others.
        const good = parsed.data.files.filter((f): f is string => RecentPath.safeParse(f).success)
        this.files = dedupe(good).slice(0, this.max)
      }
    } catch {
      this.files = []
    }
  }

  async list(): Promise<string[]> {
    return this.load()
  }

  /** Puts `path` at the top (moving it if it is already listed). */
  async add(path: string): Promise<string[]> {
    const checked = RecentPath.safeParse(path)
    if (!checked.success) throw new Error(`not a file path for the recent list: ${checked.error.issues[0]?.message}`)
    await this.load()
    const full = resolve(path)
    this.files = [full, ...this.files.filter((f) => f !== full)].slice(0, this.max)
    await this.save()
    return [...this.files]
  }

  /** Drops a path (a file that has gone away). */
  async remove(path: string): Promise<string[]> {
    await this.load()
    const full = typeof path === 'string' ? resolve(path) : ''
    this.files = this.files.filter((f) => f !== full)
    await this.save()
    return [...this.files]
  }

  async clear(): Promise<void> {
    await this.load()
    this.files = []
    await this.save()
  }

  private save(): Promise<void> {
    const text = `${JSON.stringify({ format: 'cnn-lab.recent-files', version: 1, files: this.files }, null, 2)}\n`
    const write = this.queue.then(() => writeFileAtomic(this.path, text))
    // A failed write is the caller's to see, but must not block the next one.
    this.queue = write.catch(() => undefined)
    return write
  }
}

function dedupe(paths: string[]): string[] {
  return [...new Set(paths.map((p) => resolve(p)))]
}
