/**
 * One check, three doors: an experiment the editor marks as not ready is
 * refused by the host (LabService.startRun, as both app doors call it) and by
 * `lab run`, in the same words, before any run folder or process exists; and
 * what the editor accepts passes both.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCommand, type RunIo } from '../../src/cli/run'
import { getPreset } from '../../src/engine/experiment/presets'
import { LabService } from '../../src/host/lab-service'
import { validateDraft } from '../../src/renderer/lib/editor'
import type { Experiment } from '../../src/shared/experiment'
import { tempDir } from './helpers/lab'

let root: ReturnType<typeof tempDir>
let service: LabService
beforeAll(async () => {
  root = tempDir('cnnlab-start-check-')
  // No worker is ever forked here: every case is refused before one would be.
  service = new LabService({ door: 'browser', version: 'test', dataDir: join(root.path, 'data'), forkWorker: () => { throw new Error('no worker in this test') } })
  await service.init()
})
afterAll(async () => {
  await service.dispose()
  root.remove()
})

/** What the editor shows, as "path: message" lines (the host's and the terminal's form). */
function editorLines(experiment: Experiment): string[] {
  const { ok, errors } = validateDraft(experiment)
  expect(ok).toBe(false)
  return Object.entries(errors).map(([path, message]) => `${path}: ${message}`)
}

async function hostRefusal(experiment: Experiment): Promise<string> {
  const result = await service.call('startRun', [experiment, { pace: null }])
  expect(result.ok).toBe(false)
  return result.ok ? '' : result.error
}

async function cliRefusal(experiment: Experiment, name: string): Promise<{ code: number; lines: string[] }> {
  const file = join(root.path, `${name}.cnnlab.json`)
  writeFileSync(file, JSON.stringify(experiment))
  let err = ''
  const io: RunIo = { out: () => undefined, err: (text) => (err += text), progress: process.stderr }
  const code = await runCommand([file, '--out', join(root.path, `${name}-run`)], io)
  expect(existsSync(join(root.path, `${name}-run`))).toBe(false)
  return { code, lines: err.trimEnd().split('\n').map((line) => line.replace(`cnn-lab: ${file}: `, '')) }
}

function runsMade(): number {
  const runs = join(root.path, 'data', 'runs')
  return existsSync(runs) ? readdirSync(runs).length : 0
}

const cases: [string, () => Experiment][] = [
  [
    'a fifth class with the output layer left at three',
    () => {
      const e = getPreset('patterns-3')!
      if (e.dataset.kind === 'patterns') e.dataset.classes = ['vertical', 'horizontal', 'diagonal', 'dot', 'cross']
      return e
    },
  ],
  [
    'a conv kernel larger than the picture',
    () => {
      const e = getPreset('patterns-3')!
      const conv = e.models[0].layers[0]
      if (conv.type === 'conv2d') conv.kernelSize = 9
      return e
    },
  ],
  [
    'binary cross-entropy with two outputs',
    () => {
      const e = getPreset('edge-detector')!
      const fc = e.models[1].layers[1]
      if (fc.type === 'linear') fc.outFeatures = 2
      return e
    },
  ],
]

describe('the editor, the host and lab run refuse with the same words', () => {
  for (const [what, make] of cases) {
    it(what, async () => {
      const experiment = make()
      const editor = editorLines(experiment)
      expect(await hostRefusal(experiment)).toBe(editor.join('; '))
      const cli = await cliRefusal(experiment, what.replace(/\W+/g, '-'))
      expect(cli.code).toBe(1)
      expect(cli.lines).toEqual(editor)
      expect(runsMade()).toBe(0)
    })
  }

  it('what the editor accepts passes the host check (it gets as far as starting the engine)', async () => {
    const experiment = getPreset('patterns-3')!
    expect(validateDraft(experiment).ok).toBe(true)
    // The check passes, so the host goes on to start the engine, which this test has none of.
    expect(await hostRefusal(experiment)).toMatch(/cannot start the engine process: no worker in this test/)
  })
})
