/**
 * Defect 4: a full disk is recorded. A 2 MB tmpfs, mounted by the test (we run
 * as root in CI; elsewhere the tests skip and print why), holds a runs folder
 * with one finished run; then a run whose snapshots cannot fit. Its run.json
 * must say `failed` with "the disk is full", the runs list must show that
 * reason, and the earlier run must be byte for byte what it was. The terminal
 * door's `lab run` on a full disk prints one line and exits non-zero.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Experiment } from '../../src/shared/experiment'
import { RESERVE_FILE, RUN_FILES } from '../../src/host/run-folder'
import { bundleEntry, removeBundles, WORKER_SOURCE } from './helpers/bundle'
import { makeLab, tinyExperiment } from './helpers/lab'

const ROOT = resolve(__dirname, '..', '..')

let mountPoint: string
let scratch: string
let unmountable: string | undefined
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'cnnlab-diskfull-'))
  mountPoint = join(scratch, 'disk')
  execFileSync('mkdir', [mountPoint])
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint], { stdio: 'pipe' })
  } catch (error) {
    unmountable = `cannot mount a 2 MB tmpfs here (${String((error as { stderr?: Buffer }).stderr ?? error).trim() || 'mount failed'})`
  }
})
afterAll(() => {
  if (!unmountable) spawnSync('umount', [mountPoint])
  rmSync(scratch, { recursive: true, force: true })
  removeBundles()
})

/** patterns-3 with an MLP hidden layer of 4,096 units: ~1.1 MB of F32 per MLP snapshot, two do not fit in 2 MB. */
function bigSnapshots(): Experiment {
  const experiment = tinyExperiment(3, [0, 1, 2, 3])
  const mlp = experiment.models[1]
  mlp.layers = mlp.layers.map((layer, i) =>
    layer.type !== 'linear' ? layer : i === 1 ? { ...layer, outFeatures: 4096 } : { ...layer, inFeatures: 4096 },
  )
  return experiment
}

/** Every file under `dir` with its sha256, for "byte-identical". */
function fingerprint(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (path: string, rel: string) => {
    for (const name of readdirSync(path)) {
      const full = join(path, name)
      if (statSync(full).isDirectory()) walk(full, `${rel}${name}/`)
      else out[`${rel}${name}`] = createHash('sha256').update(readFileSync(full)).digest('hex')
    }
  }
  walk(dir, '')
  return out
}

describe('a full disk', () => {
  it('a run whose snapshots overflow the disk is recorded failed with the reason; earlier runs stay byte-identical', async (context) => {
    if (unmountable) {
      console.log(`disk-full test skipped: ${unmountable}`)
      context.skip()
    }
    const { supervisor, store } = makeLab(join(mountPoint, 'runs'), { entry: await bundleEntry(WORKER_SOURCE) })
    try {
      const earlier = await supervisor.start(tinyExperiment(1, [0, 1]))
      expect((await earlier.ended).status).toBe('completed')
      const before = fingerprint(earlier.dir)

      const run = await supervisor.start(bigSnapshots())
      const end = await run.ended
      expect(end.status, end.error).toBe("failed")
      expect(end.error).toMatch(/^writing the run folder failed: cannot write .*snapshots\/(cnn|mlp)\/epoch-000\d\.safetensors: the disk is full$/)

      const recorded = JSON.parse(readFileSync(join(run.dir, RUN_FILES.run), 'utf8'))
      expect(recorded).toMatchObject({ status: 'failed', error: end.error, endedAt: expect.any(String) })
      const listed = await store.list()
      expect(listed.find((r) => r.id === run.runId)).toMatchObject({ status: 'failed', error: end.error })
      expect(listed.find((r) => r.id === earlier.runId)?.status).toBe('completed')
      expect((await store.open(run.runId)).status).toBe('failed')
      expect(readdirSync(run.dir)).not.toContain(RESERVE_FILE)
      expect(fingerprint(earlier.dir)).toEqual(before)
      const df = execFileSync('df', ['-k', mountPoint], { encoding: 'utf8' }).trim().split('\n').at(-1)
      console.log(`disk-full: run ${run.runId} recorded "${recorded.status}: ${recorded.error}"; earlier run's ${Object.keys(before).length} files identical; df: ${df}`)
      await store.delete(run.runId)
    } finally {
      await supervisor.dispose()
    }
  })

  it('lab run on a full disk prints one line naming the disk as full and exits 1', (context) => {
    if (unmountable) {
      console.log(`disk-full test skipped: ${unmountable}`)
      context.skip()
    }
    // An empty disk whatever the test before left.
    for (const name of readdirSync(mountPoint)) rmSync(join(mountPoint, name), { recursive: true, force: true })
    const file = join(scratch, 'big.cnnlab.json')
    writeFileSync(file, JSON.stringify(bigSnapshots()))
    const out = join(mountPoint, 'cli-run')
    const result = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'src', 'cli', 'main.ts'), 'run', file, '--out', out, '--quiet'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    })
    console.log(`disk-full lab run: exit ${result.status}, stderr: ${result.stderr.trim()}`)
    expect(result.status).toBe(1)
    expect(result.stdout).toBe('')
    const lines = result.stderr.trimEnd().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^cnn-lab: the run failed: cannot write .*snapshots\/(cnn|mlp)\/epoch-000\d\.safetensors: the disk is full \(run folder: .*cli-run; run.json says failed\)$/)
    expect(JSON.parse(readFileSync(join(out, RUN_FILES.run), 'utf8'))).toMatchObject({ status: 'failed', error: expect.stringMatching(/the disk is full/) })
  })
})
