/**
 * The browser door under load (issue 11, defects 1, 3, 10): stalled event-stream
 * clients, large bodies in flight, bad run ids. The figures are printed, as for
 * the kill -9 tests.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { connect, type Socket } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { LabService } from '../../src/host/lab-service'
import { startServer, type RunningServer } from '../../src/server/http-server'
import type { LabEvent } from '../../src/shared/lab-api'

let dir: string
let server: RunningServer
let service: LabService

function post(method: string, body: string): Promise<{ status: number; text: string; ms: number }> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: server.port,
        method: 'POST',
        path: `/api/${method}`,
        agent: false,
        headers: { Host: `127.0.0.1:${server.port}`, 'Content-Type': 'application/json', 'X-Lab-Token': server.token },
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => (text += c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, ms: performance.now() - started }))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

async function call<T>(method: string, args: unknown[]): Promise<T> {
  const reply = JSON.parse((await post(method, JSON.stringify({ args }))).text) as { ok: boolean; value?: T; error?: string }
  if (!reply.ok) throw new Error(reply.error)
  return reply.value as T
}

/** An event-stream client that sends its GET and then never reads: its socket is paused from the start. */
function stalledClient(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1', () => {
      socket.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nX-Lab-Token: ${server.token}\r\nAccept: text/event-stream\r\n\r\n`)
      socket.pause()
      resolve(socket)
    })
    socket.on('error', reject)
  })
}

/** A client that reads every event until the run ends; resolves once the server has said hello. */
function readingClient(): { connected: Promise<void>; events: Promise<{ events: LabEvent[]; bytes: number }> } {
  let onHello!: () => void
  const connected = new Promise<void>((resolve) => (onHello = resolve))
  const events = new Promise<{ events: LabEvent[]; bytes: number }>((resolve, reject) => {
    const received: LabEvent[] = []
    let bytes = 0
    const req = httpRequest(
      { host: '127.0.0.1', port: server.port, path: '/api/events', agent: false, headers: { Host: `127.0.0.1:${server.port}`, 'X-Lab-Token': server.token } },
      (res) => {
        // Chunks are kept in a list and joined once a block ends, so a multi-MB event costs linear time.
        let parts: string[] = []
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          bytes += chunk.length
          let rest = chunk
          let end: number
          while ((end = rest.indexOf('\n\n')) >= 0) {
            const block = parts.join('') + rest.slice(0, end)
            parts = []
            rest = rest.slice(end + 2)
            if (!block.startsWith('data: ')) continue
            const event = JSON.parse(block.slice(6)) as LabEvent
            // Keep only what the assertions read: the snapshots' weights would count against the server's RSS bound.
            received.push(event.type === 'training' ? ({ ...event, events: event.events.map((e) => ({ type: e.type })) } as LabEvent) : event)
            if (event.type === 'hello') onHello()
            if (event.type === 'run-ended') {
              req.destroy()
              resolve({ events: received, bytes })
            }
          }
          parts.push(rest)
        })
      },
    )
    req.on('error', (err) => (received.some((e) => e.type === 'run-ended') ? undefined : reject(err)))
    req.on('close', () => reject(new Error(`the reading client's stream closed after ${received.length} events`)))
    req.end()
  })
  return { connected, events }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'cnn-lab-load-'))
  service = new LabService({ door: 'browser', version: '0.0.0-test', dataDir: dir })
  await service.init()
  server = await startServer({ port: 0, rendererDir: path.join(dir, 'no-renderer'), service, pingIntervalMs: 60_000 })
})

afterAll(async () => {
  await service.dispose()
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('browser door under load', () => {
  it('five stalled event-stream clients: bounded memory, the run completes, they are closed, a reader sees every epoch', async () => {
    const experiment = await call<Record<string, any>>('getPreset', ['patterns-3'])
    const epochs = 60
    experiment.training.epochs = epochs
    // A snapshot at every epoch of a wide MLP: megabytes of weights per epoch, so the stream is tens of MB.
    experiment.training.snapshotEpochs = Array.from({ length: epochs + 1 }, (_, i) => i)
    const mlp = experiment.models.find((m: { id: string }) => m.id === 'mlp')
    const hidden = 512
    const linears = mlp.layers.filter((l: { type: string }) => l.type === 'linear')
    linears[0].outFeatures = hidden
    linears[1].inFeatures = hidden

    const stalled = await Promise.all(Array.from({ length: 5 }, stalledClient))
    const reader = readingClient()
    await reader.connected
    await vi.waitFor(() => expect(server.eventStreams().open).toBe(6), { timeout: 5000, interval: 20 })

    const rssBefore = process.memoryUsage().rss
    let rssPeak = rssBefore
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 20)
    const { runId } = await call<{ runId: string }>('startRun', [experiment, { preset: 'patterns-3' }])
    const { events, bytes } = await reader.events
    clearInterval(sampler)

    const ended = events.find((e) => e.type === 'run-ended')
    expect(ended).toMatchObject({ runId, status: 'completed' })
    const epochEvents = events.flatMap((e) => (e.type === 'training' ? e.events : [])).filter((e) => e.type === 'epoch')
    expect(epochEvents).toHaveLength(2 * (epochs + 1))
    const { open, dropped } = server.eventStreams()
    const growthMb = (rssPeak - rssBefore) / 2 ** 20
    console.log(
      `stalled SSE: run streamed ${(bytes / 2 ** 20).toFixed(1)} MB to the reader; server RSS ${(rssBefore / 2 ** 20).toFixed(0)} -> peak ${(rssPeak / 2 ** 20).toFixed(0)} MB (+${growthMb.toFixed(0)} MB); ` +
        `${dropped} stalled clients closed, ${open} stream(s) still open (the reader's, closing)`,
    )
    // Without a bound each stalled client would hold the whole stream: 5 x the bytes above.
    expect(bytes).toBeGreaterThan(25 * 2 ** 20)
    // The bound: 5 stalled clients cost at most their 32 MiB hard caps (the queued Buffers are shared, so in practice one copy) (plus one event each) and the run's own working memory.
    // Measured here: +110 to +150 MB, most of it the run's own (snapshots stringified, parsed, collected late).
    expect(growthMb).toBeLessThan(240)
    expect(dropped).toBe(5)

    // Each stalled socket, once it reads, gets at most its buffer's worth (plus kernel buffers) and then the end.
    const got = await Promise.all(
      stalled.map(
        (socket) =>
          new Promise<number>((resolve) => {
            let n = 0
            socket.on('data', (c: Buffer) => (n += c.length))
            socket.on('close', () => resolve(n))
            socket.on('error', () => undefined)
            socket.resume()
          }),
      ),
    )
    console.log(`stalled SSE: the closed clients had received ${got.map((n) => (n / 2 ** 20).toFixed(1)).join(', ')} MB each`)
    for (const n of got) expect(n).toBeLessThan(bytes)
  }, 120_000)

  it('answers a small call quickly while four large requests are in flight', async () => {
    const experiment = await call<Record<string, any>>('getPreset', ['patterns-3'])
    // ~40 MB each: an experiment file with a results block of plain-number tensors.
    const data = Array.from({ length: 2_000_000 }, (_, i) => (i % 997) / 997)
    const results = { metrics: [], snapshots: [{ model: 'cnn', epoch: 0, weights: { '0.weight': { shape: [2000, 1000], data } } }], finalWeights: {} }
    const text = JSON.stringify({ ...experiment, description: 'a large file', results })
    const bodies = [
      JSON.stringify({ args: [text] }),
      JSON.stringify({ args: [text] }),
      JSON.stringify({ args: [{ ...experiment, results }, null] }),
      JSON.stringify({ args: [{ ...experiment, results }, null] }),
    ]
    const methods = ['parseExperimentText', 'parseExperimentText', 'robustnessMap', 'startRun']
    let done = 0
    const large = bodies.map((body, i) => post(methods[i], i === 2 ? JSON.stringify({ args: ['p1', { experiment: { ...experiment, results }, weights: {} }, 1] }) : body).finally(() => done++))
    const latencies: number[] = []
    while (done < large.length) latencies.push((await post('appInfo', '{"args":[]}')).ms)
    const replies = await Promise.all(large)
    latencies.sort((a, b) => a - b)
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]
    console.log(
      `large bodies: ${bodies.map((b) => (b.length / 2 ** 20).toFixed(0)).join(', ')} MB answered in ${replies.map((r) => (r.ms / 1000).toFixed(1)).join(', ')} s; ` +
        `meanwhile ${latencies.length} appInfo calls: p50 ${pct(50).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms, max ${latencies[latencies.length - 1].toFixed(1)} ms`,
    )
    expect(replies.map((r) => r.status)).toEqual([200, 200, 400, 200])
    expect(JSON.parse(replies[0].text).value.results.snapshots[0].weights['0.weight'].shape).toEqual([2000, 1000])
    // Answered while the large ones were in flight, not queued behind them. How quickly (the goal is well
    // under 100 ms) is the printed p99, not an assertion: this machine is shared with other test runs.
    expect(latencies.length).toBeGreaterThan(10)
    await service.stopRun()
  }, 180_000)

  it('a bad run id writes at most one line to stderr', async () => {
    const lines: string[] = []
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split('\n').filter(Boolean))
      return true
    })
    const errors = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void lines.push(...args.map(String).join(' ').split('\n')))
    try {
      for (const id of ['nope', '../etc', '2024-01-01T00-00-00-x-abcd']) {
        const reply = await post('openRun', JSON.stringify({ args: [id] }))
        expect(reply.status).toBe(400)
        expect(JSON.parse(reply.text).error).not.toMatch(/ at /)
      }
    } finally {
      spy.mockRestore()
      errors.mockRestore()
    }
    console.log(`bad run ids: ${lines.length} stderr line(s) for 3 calls`)
    expect(lines.length).toBeLessThanOrEqual(1)
  })
})
