/**
 * `npm run lab -- … | head -1`: the reader closes the pipe early. The terminal
 * door must end quietly (no EPIPE stack trace), and a run it was training
 * still finishes and records itself, since the run folder is the real output.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getPreset } from '../../src/engine/experiment/presets'

const ROOT = resolve(import.meta.dirname, '..', '..')
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx')
const MAIN = join(ROOT, 'src', 'cli', 'main.ts')

let tmp: string
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'cnnlab-epipe-'))
})
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

/**
 * Spawn the cli with stdout on a pipe that is closed after `keepLines` lines
 * (0: closed at once, before the cli can have written anything, so its first
 * write is certain to meet a closed pipe).
 */
function labIntoClosedPipe(args: string[], keepLines: number): Promise<{ code: number | null; kept: string; stderr: string }> {
  return new Promise((done, failed) => {
    const child = spawn(TSX, [MAIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let kept = ''
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    if (keepLines === 0) child.stdout.destroy()
    else {
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        kept += chunk
        if (kept.split('\n').length > keepLines) {
          kept = kept.split('\n').slice(0, keepLines).join('\n')
          child.stdout.destroy()
        }
      })
    }
    child.on('error', failed)
    child.on('close', (code) => done({ code, kept, stderr }))
  })
}

describe('terminal door into a closed pipe', () => {
  it.each([[['presets']], [['--help']], [['preset', 'patterns-3']]])('%j ends quietly when the reader has gone', async (args) => {
    const r = await labIntoClosedPipe(args, 0)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
  })

  it('a run whose reader left after one line still completes its run folder, with no stack trace', async () => {
    const experiment = getPreset('patterns-3')!
    experiment.training.epochs = 2
    experiment.training.snapshotEpochs = [0, 2]
    const file = join(tmp, 'small.cnnlab.json')
    writeFileSync(file, JSON.stringify(experiment))
    const out = join(tmp, 'run')
    const r = await labIntoClosedPipe(['run', file, '--out', out, '--quiet'], 1)
    expect(r.stderr).not.toMatch(/EPIPE|\n\s+at /)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect((JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { status: string }).status).toBe('completed')
  }, 120_000)
})
