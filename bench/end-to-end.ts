/**
 * The bench's end-to-end lines: the `mnist` preset from Train to done, as a
 * person gets it, in the terminal door (`lab run` as a child process) and in
 * the browser door (the real server and its engine process, driven over HTTP
 * and server-sent events, as the page drives it). Each returns the total and
 * its parts; the parts come from what the door itself reports (its output
 * lines, its events, the epoch rows' training seconds), timed on arrival.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { getPreset } from '../src/engine/experiment/presets'
import { LabService } from '../src/host/lab-service'
import { startServer, type RunningServer } from '../src/server/http-server'
import type { MetricRow } from '../src/shared/experiment'
import type { LabEvent } from '../src/shared/lab-api'

export interface EndToEnd {
  /** Seconds from Train (spawn / startRun) to done (exit / run-ended). */
  total: number
  /** Seconds before training starts: process start, reading MNIST, building the models (the `started` event). */
  dataLoad: number
  /** The models' training seconds, from their last epoch rows (batches only). */
  training: number
  /** Browser door: the first evaluation, both models on both sets before any training (epoch-0 rows after `started`). */
  firstEvaluation?: number
  /** What is left: the evaluations after each epoch (and, terminal door, the first), snapshots, run files, events, exit. */
  rest: number
  /** Each model's training route as the door reported it ("cnn: fused SIMD, two cores; …"). */
  route: string
}

const seconds = (ms: number) => +(ms / 1000).toFixed(2)

/** Each model's training seconds at its last epoch row, summed (the rows carry a running total). */
function trainingSeconds(rows: readonly MetricRow[]): number {
  const last = new Map<string, number>()
  for (const row of rows) last.set(row.model, row.seconds ?? 0)
  return [...last.values()].reduce((a, b) => a + b, 0)
}

/**
 * `tsx src/cli/main.ts run mnist.cnnlab.json --out DIR` (what `npm run lab`
 * runs), from spawn to exit. The "Training …" line goes out at the trainer's
 * `started` event, after MNIST is read: the time before it is the data load.
 */
export async function terminalDoorRun(): Promise<EndToEnd> {
  const dir = mkdtempSync(join(tmpdir(), 'cnnlab-bench-cli-'))
  try {
    const file = join(dir, 'mnist.cnnlab.json')
    writeFileSync(file, JSON.stringify(getPreset('mnist')))
    const tsx = resolve('node_modules/tsx/dist/cli.mjs')
    const t0 = performance.now()
    let started = NaN
    let stderr = ''
    let stdout = ''
    const child = spawn(process.execPath, [tsx, 'src/cli/main.ts', 'run', file, '--out', join(dir, 'run')], { stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (text: string) => (stdout += text))
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (text: string) => {
      stderr += text
      if (Number.isNaN(started) && /^Training /m.test(stderr)) started = performance.now()
    })
    const code = await new Promise<number | null>((done) => child.on('exit', done))
    const total = performance.now() - t0
    if (code !== 0) throw new Error(`lab run exited with ${code}: ${stderr.slice(-500)}`)
    const rows = readFileSync(join(dir, 'run', 'metrics.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as MetricRow)
    const training = trainingSeconds(rows) * 1000
    // The summary's "cnn: trained on fused SIMD, two cores (backend relaxed-simd)" lines.
    const route = [...(stdout + stderr).matchAll(/^(\S+): trained on ([^(\n]+)/gm)].map((m) => `${m[1]}: ${m[2].trim()}`).join('; ')
    return { total: seconds(total), dataLoad: seconds(started - t0), training: seconds(training), rest: seconds(total - (started - t0) - training), route }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function call<T>(server: RunningServer, method: string, args: unknown[]): Promise<T> {
  return new Promise((done, fail) => {
    const req = httpRequest(
      {
        host: '127.0.0.1', port: server.port, method: 'POST', path: `/api/${method}`,
        headers: { Host: `127.0.0.1:${server.port}`, 'Content-Type': 'application/json', 'X-Lab-Token': server.token },
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (text += chunk))
        res.on('end', () => {
          const reply = JSON.parse(text) as { ok: boolean; value?: T; error?: string }
          if (reply.ok) done(reply.value as T)
          else fail(new Error(`${method}: ${reply.error}`))
        })
      },
    )
    req.on('error', fail)
    req.end(JSON.stringify({ args }))
  })
}

/** Listens to /api/events, calling `onEvent` with each event and its arrival time; resolves once connected. */
function listen(server: RunningServer, onEvent: (event: LabEvent, at: number) => void): Promise<() => void> {
  return new Promise((connected, fail) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: server.port, path: '/api/events', headers: { Host: `127.0.0.1:${server.port}`, 'X-Lab-Token': server.token, Accept: 'text/event-stream' } },
      (res) => {
        let buffer = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          const at = performance.now()
          buffer += chunk
          let end: number
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const data = buffer.slice(0, end).split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n')
            buffer = buffer.slice(end + 2)
            if (!data) continue
            const event = JSON.parse(data) as LabEvent
            if (event.type === 'hello') connected(() => req.destroy())
            onEvent(event, at)
          }
        })
      },
    )
    req.on('error', (error) => fail(error))
    req.end()
  })
}

/**
 * The browser door: a LabService and the real HTTP server in this process
 * (the engine trains in the process the service forks, as under `npm run
 * serve`), the mnist preset started through /api/startRun, timed until its
 * run-ended event.
 */
export async function browserDoorRun(): Promise<EndToEnd> {
  const dir = mkdtempSync(join(tmpdir(), 'cnnlab-bench-door-'))
  const service = new LabService({ door: 'browser', version: 'bench', dataDir: dir })
  await service.init()
  const server = await startServer({ port: 0, rendererDir: join(dir, 'no-renderer'), service, pingIntervalMs: 60_000 })
  try {
    const rows: MetricRow[] = []
    let started = NaN
    let route = ''
    let firstEvaluated = NaN
    let ended = NaN
    let failure: string | undefined
    let finish!: () => void
    const finished = new Promise<void>((done) => (finish = done))
    const stop = await listen(server, (event, at) => {
      if (event.type === 'training') {
        for (const e of event.events) {
          if (e.type === 'started' && Number.isNaN(started)) {
            started = at
            route = e.models.map((m) => `${m.id}: ${m.route?.label ?? '?'}`).join('; ')
          }
          if (e.type === 'epoch') {
            rows.push(e.row)
            if (e.row.epoch === 0) firstEvaluated = at
          }
        }
      }
      if (event.type === 'run-ended') {
        ended = at
        if (event.status !== 'completed') failure = event.error ?? event.status
        finish()
      }
    })
    const experiment = await call<Record<string, unknown>>(server, 'getPreset', ['mnist'])
    const t0 = performance.now()
    await call(server, 'startRun', [experiment, { preset: 'mnist' }])
    await finished
    stop()
    if (failure) throw new Error(`the mnist run in the browser door ended: ${failure}`)
    const training = trainingSeconds(rows) * 1000
    const dataLoad = started - t0
    const total = ended - t0
    return {
      total: seconds(total), dataLoad: seconds(dataLoad), training: seconds(training),
      firstEvaluation: seconds(firstEvaluated - started), rest: seconds(total - dataLoad - training - (firstEvaluated - started)), route,
    }
  } finally {
    await service.dispose()
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
