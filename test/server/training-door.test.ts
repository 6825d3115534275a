/**
 * The browser door drives a real run: HTTP calls start it, the engine trains in
 * its own forked process, server-sent events stream the epochs, and the run
 * folder on disk is complete at the end.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LabService } from '../../src/host/lab-service'
import { startServer, type RunningServer } from '../../src/server/http-server'
import type { LabEvent, RunDetails, RunListItem } from '../../src/shared/lab-api'

let dir: string
let server: RunningServer
let service: LabService

function call<T>(method: string, args: unknown[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ args })
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: server.port,
        method: 'POST',
        path: `/api/${method}`,
        headers: { Host: `127.0.0.1:${server.port}`, 'Content-Type': 'application/json', 'X-Lab-Token': server.token },
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => (text += c))
        res.on('end', () => {
          const reply = JSON.parse(text) as { ok: boolean; value?: T; error?: string }
          if (reply.ok) resolve(reply.value as T)
          else reject(new Error(reply.error))
        })
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

/**
 * Collects server-sent events until `until` says stop. `connected` resolves on
 * the server's hello, so a test starts its run only once the stream is listening.
 */
function collectEvents(until: (event: LabEvent) => boolean): { connected: Promise<void>; events: Promise<LabEvent[]> } {
  let onHello!: () => void
  const connected = new Promise<void>((resolve) => (onHello = resolve))
  const events = new Promise<LabEvent[]>((resolve, reject) => {
    const received: LabEvent[] = []
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: server.port,
        path: '/api/events',
        headers: { Host: `127.0.0.1:${server.port}`, 'X-Lab-Token': server.token, Accept: 'text/event-stream' },
      },
      (res) => {
        let buffer = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          buffer += chunk
          let end: number
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            const data = block
              .split('\n')
              .filter((line) => line.startsWith('data:'))
              .map((line) => line.slice(5).trim())
              .join('\n')
            if (!data) continue
            const event = JSON.parse(data) as LabEvent
            if (event.type === 'hello') onHello()
            received.push(event)
            if (until(event)) {
              req.destroy()
              resolve(received)
            }
          }
        })
      },
    )
    req.on('error', (error) => (received.length ? undefined : reject(error)))
    req.end()
  })
  return { connected, events }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'cnn-lab-door-'))
  service = new LabService({ door: 'browser', version: '0.0.0-test', dataDir: dir })
  await service.init()
  server = await startServer({ port: 0, rendererDir: path.join(dir, 'no-renderer'), service, pingIntervalMs: 60_000 })
})

afterAll(async () => {
  await service.dispose()
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('browser door: a real run from start to finish', () => {
  it('trains patterns-3 in the engine process, streams every epoch, and leaves a complete run folder', async () => {
    const experiment = await call<Record<string, unknown>>('getPreset', ['patterns-3'])
    ;(experiment.training as { epochs: number }).epochs = 12
    const stream = collectEvents((event) => event.type === 'run-ended')
    await stream.connected
    const { runId } = await call<{ runId: string }>('startRun', [experiment, { preset: 'patterns-3' }])
    const events = await stream.events

    const ended = events.find((e) => e.type === 'run-ended')
    expect(ended).toMatchObject({ type: 'run-ended', runId, status: 'completed' })
    const epochs = events.flatMap((e) => (e.type === 'training' ? e.events : [])).filter((e) => e.type === 'epoch')
    // Epochs 0..12 for both models reach the page, whatever the coalescing.
    expect(epochs).toHaveLength(2 * 13)

    const runs = await call<RunListItem[]>('listRuns', [])
    expect(runs.find((r) => r.id === runId)).toMatchObject({ status: 'completed', preset: 'patterns-3' })

    const details = await call<RunDetails>('openRun', [runId])
    expect(details.metrics).toHaveLength(26)
    expect(Object.keys(details.weights).sort()).toEqual(['cnn', 'mlp'])
    expect(details.weights.cnn['0.weight'].shape).toEqual([3, 1, 3, 3])

    const folder = path.join(dir, 'runs', runId)
    for (const file of ['experiment.cnnlab.json', 'run.json', 'metrics.jsonl', 'weights/cnn.safetensors', 'weights/mlp.safetensors']) {
      expect(existsSync(path.join(folder, file)), file).toBe(true)
    }
    // Snapshot epochs 0, 1, 5 of the preset's list, and the final state of this shortened run.
    expect(readdirSync(path.join(folder, 'snapshots', 'cnn'))).toEqual([
      'epoch-0000.safetensors',
      'epoch-0001.safetensors',
      'epoch-0005.safetensors',
      'epoch-0012.safetensors',
    ])
  })

  it('refuses a broken experiment with a message naming the field', async () => {
    const experiment = await call<Record<string, unknown>>('getPreset', ['patterns-3'])
    ;(experiment.training as { learningRate: unknown }).learningRate = 'fast'
    await expect(call('startRun', [experiment, undefined])).rejects.toThrow(/training\.learningRate/)
  })

  it('takes a whole experiment file larger than the 1 MiB cap of ordinary calls', async () => {
    const experiment = await call<Record<string, unknown>>('getPreset', ['patterns-3'])
    // 3 MB reaches the validator (not a 413), which names the field that is too long.
    const text = JSON.stringify({ ...experiment, description: 'x'.repeat(3 << 20) })
    await expect(call('parseExperimentText', [text])).rejects.toThrow(/description/)
  })
})
