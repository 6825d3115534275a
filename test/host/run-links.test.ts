/**
 * Defect 6: links inside the runs folder are never followed, and no error
 * echoes a file's contents. Each planted link points at a "secret" file (or a
 * folder holding a copy of a real run) outside the data folder; opening and
 * listing must refuse it and name only the file and the reason.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { RunStore } from '../../src/host/run-store'
import { RUN_FILES } from '../../src/host/run-folder'
import { LINK_REFUSED, readFileNoFollow, RefusedFileError } from '../../src/host/safe-path'
import type { ModelSummary, NamedWeights } from '../../src/shared/training-events'
import { tinyExperiment } from './helpers/lab'

// A secret that parses as the start of JSON and as a run.json would, so a reader that followed
// the link would get far enough to quote it.
const SECRET = 'root:x:0:0:SECRET-CONTENTS-4f1c:/root:/bin/bash'

let base: string
let store: RunStore
let outside: string
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'cnnlab-links-'))
  store = new RunStore(join(base, 'data', 'runs'))
  outside = join(base, 'elsewhere')
  mkdirSync(outside)
  writeFileSync(join(outside, 'passwd'), `${SECRET}\n`)
})
afterEach(() => rmSync(base, { recursive: true, force: true }))

const summary = (id: string): ModelSummary => ({ id, label: id, inputShape: [1, 8, 8], layers: [], parameterCount: 3, epochs: 1 })
const weights: NamedWeights = { '0.weight': { shape: [1, 3], data: new Float32Array([1, 2, 3]) } }

async function completedRun(): Promise<{ id: string; dir: string }> {
  const { id, writer } = await store.createRun(tinyExperiment(1))
  writer.handle({ type: 'started', models: [summary('cnn')], trainCount: 9, valCount: 3, classes: ['a', 'b', 'c'] })
  writer.handle({ type: 'epoch', row: { model: 'cnn', epoch: 0, trainLoss: 1, trainAccuracy: 0.5, valLoss: 1, valAccuracy: 0.5, seconds: 0.1 } })
  writer.handle({ type: 'snapshot', model: 'cnn', epoch: 0, weights })
  await writer.writeFinalWeights('cnn', weights)
  await writer.finish('completed')
  store.release(id)
  return { id, dir: join(store.root, id) }
}

/** Replaces `path` (a file or folder in a run) with a link to `target`. */
function plant(path: string, target: string): void {
  rmSync(path, { recursive: true, force: true })
  symlinkSync(target, path)
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as Error,
  )
  expect(error, 'the open should have been refused').toBeInstanceOf(Error)
  return error!.message
}

describe('links in the runs folder', () => {
  it.each([
    ['run.json', RUN_FILES.run],
    ['metrics.jsonl', RUN_FILES.metrics],
    ['experiment.cnnlab.json', RUN_FILES.experiment],
    ['weights/cnn.safetensors', join(RUN_FILES.weights, 'cnn.safetensors')],
    ['a snapshot', join(RUN_FILES.snapshots, 'cnn', 'epoch-0000.safetensors')],
  ])('a linked %s pointing outside is refused, and the message holds none of its contents', async (_what, file) => {
    const { id, dir } = await completedRun()
    plant(join(dir, file), join(outside, 'passwd'))
    const message = await refusal(store.open(id))
    expect(message).toContain(join(dir, file))
    expect(message).toContain(LINK_REFUSED)
    expect(message).not.toContain('SECRET')
    expect(message).not.toContain('root:x')
    const listed = (await store.list()).find((r) => r.id === id)
    expect(JSON.stringify(listed)).not.toContain('SECRET')
    if (file === RUN_FILES.run) expect(listed?.error).toContain(LINK_REFUSED)
  })

  it('a linked snapshots/<model> or weights folder pointing outside is refused', async () => {
    for (const folder of [join(RUN_FILES.snapshots, 'cnn'), RUN_FILES.weights]) {
      const { id, dir } = await completedRun()
      const copy = join(outside, `copy-${id}`)
      cpSync(join(dir, folder), copy, { recursive: true })
      plant(join(dir, folder), copy)
      const message = await refusal(store.open(id))
      expect(message).toContain(`cannot list ${join(dir, folder)}: ${LINK_REFUSED}`)
    }
  })

  it('a linked run folder is neither listed nor opened, even when it holds a valid run', async () => {
    const { id, dir } = await completedRun()
    const copy = join(outside, 'a-run')
    cpSync(dir, copy, { recursive: true })
    rmSync(dir, { recursive: true })
    symlinkSync(copy, dir)
    expect((await store.list()).map((r) => r.id)).not.toContain(id)
    expect(await refusal(store.open(id))).toBe(`cannot open run "${id}": ${LINK_REFUSED}`)
    // Deleting it removes the link, never what it points at.
    await store.delete(id)
    expect(readFileSync(join(copy, RUN_FILES.run), 'utf8')).toContain('"completed"')
  })

  it('a run.json or safetensors header that is not JSON is named, its text never quoted', async () => {
    const { id, dir } = await completedRun()
    writeFileSync(join(dir, RUN_FILES.run), SECRET)
    const listed = (await store.list()).find((r) => r.id === id)
    expect(listed?.error).toMatch(/run\.json is unreadable \(it is not valid JSON/)
    expect(listed?.error).not.toContain('SECRET')
    const opened = await refusal(store.open(id))
    expect(opened).toMatch(/run\.json: it is not valid JSON/)
    expect(opened).not.toContain('root:x')

    const { id: other, dir: otherDir } = await completedRun()
    const header = Buffer.from(`{"${SECRET}`)
    const length = Buffer.alloc(8)
    length.writeBigUInt64LE(BigInt(header.length))
    writeFileSync(join(otherDir, RUN_FILES.weights, 'cnn.safetensors'), Buffer.concat([length, header]))
    const message = await refusal(store.open(other))
    expect(message).toMatch(/cnn\.safetensors: header is not valid JSON$/)
    expect(message).not.toContain('SECRET')
  })
})

describe('readFileNoFollow', () => {
  it('reads a file, refuses a link to one, and refuses a FIFO without blocking on it', async () => {
    const file = join(outside, 'passwd')
    expect((await readFileNoFollow(file)).toString()).toBe(`${SECRET}\n`)
    const link = join(base, 'link')
    symlinkSync(file, link)
    const error = await readFileNoFollow(link).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RefusedFileError)
    expect((error as RefusedFileError).reason).toBe(LINK_REFUSED)
    unlinkSync(link)
    const fifo = join(base, 'fifo')
    execFileSync('mkfifo', [fifo])
    await expect(readFileNoFollow(fifo)).rejects.toThrow(`${fifo}: it is not a regular file`)
  })
})
