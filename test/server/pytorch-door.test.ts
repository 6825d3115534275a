/**
 * exportPytorch and importRun through the browser door: the zip comes back as
 * bytes, and the same bytes go back in as an import, over real HTTP.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { unzipSync } from 'fflate'
import { LabService } from '../../src/host/lab-service'
import { RunStore } from '../../src/host/run-store'
import { startServer, type RunningServer } from '../../src/server/http-server'
import { getPreset } from '../../src/engine/experiment/presets'
import { parseExperiment } from '../../src/shared/experiment'
import { buildDatasets } from '../../src/engine/datasets'
import { createTrainer, trainToEnd } from '../../src/engine/train/trainer'
import { bytesReplacer, bytesReviver } from '../../src/shared/wire-bytes'
import { zipSync } from 'fflate'

let root: string
let server: RunningServer
let service: LabService
let runId: string

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'cnnlab-pytorch-door-'))
  const parsed = parseExperiment({ ...getPreset('patterns-3')!, training: { ...getPreset('patterns-3')!.training, epochs: 2, snapshotEpochs: [0, 2] } })
  if (!parsed.ok) throw new Error(parsed.error)
  const store = new RunStore(join(root, 'runs'))
  const { id, writer } = await store.createRun(parsed.value)
  const trainer = createTrainer(parsed.value, buildDatasets(parsed.value.dataset), writer.handle)
  trainToEnd(trainer)
  for (const m of parsed.value.models) await writer.writeFinalWeights(m.id, trainer.finalWeights(m.id))
  await writer.finish()
  store.release(id)
  runId = id
  service = new LabService({ door: 'browser', version: '0', dataDir: root })
  server = await startServer({ port: 0, rendererDir: root, service, pingIntervalMs: 60_000 })
})
afterAll(async () => {
  await server.close()
  await service.dispose()
  rmSync(root, { recursive: true, force: true })
})

async function call(name: string, args: unknown[]): Promise<{ ok: boolean; value?: unknown; error?: string }> {
  const response = await fetch(`http://127.0.0.1:${server.port}/api/${name}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Lab-Token': server.token },
    body: JSON.stringify({ args }, bytesReplacer),
  })
  return JSON.parse(await response.text(), bytesReviver)
}

it('exports a run as a zip of bytes, and imports a run folder sent as a zip', async () => {
  const exported = await call('exportPytorch', [runId])
  expect(exported.ok, exported.error).toBe(true)
  const { fileName, bytes } = exported.value as { fileName: string; bytes: Uint8Array }
  expect(fileName).toMatch(/^patterns-3-classes-.*-pytorch\.zip$/)
  expect(bytes).toBeInstanceOf(Uint8Array)
  const folder = fileName.replace(/\.zip$/, '')
  expect(Object.keys(unzipSync(bytes))).toContain(`${folder}/train.py`)

  // The lab's own run folder stands in for train.py's output: the same layout.
  const dir = join(root, 'runs', runId)
  const { filesFromFolder } = await import('../../src/host/pytorch-export/import-run')
  const zip = zipSync(await filesFromFolder(dir))
  const imported = await call('importRun', [{ zip }])
  expect(imported.ok, imported.error).toBe(true)
  const listed = await call('listRuns', [])
  expect((listed.value as { id: string }[]).map((r) => r.id)).toContain((imported.value as { runId: string }).runId)
  expect(await call('importRun', [{ zip: new Uint8Array([1, 2]) }])).toMatchObject({ ok: false, error: expect.stringContaining('the zip cannot be read') })
})
