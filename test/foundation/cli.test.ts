import { describe, expect, it } from 'vitest'
import { main, type Io } from '../../src/cli/main'
import { presetSummaries } from '../../src/engine/experiment/presets'
import { parseExperimentText } from '../../src/host/experiment-files'

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const io: Io = { out: (t) => (out += t), err: (t) => (err += t) }
  const code = await main(argv, io)
  return { code, out, err }
}

describe('terminal door', () => {
  it('prints help', async () => {
    const r = await cli('--help')
    expect(r.code).toBe(0)
    for (const command of ['presets', 'preset ID', 'run FILE --out DIR [--save-data]']) expect(r.out).toContain(command)
  })

  it('lists presets as id and name', async () => {
    const r = await cli('presets')
    expect(r.code).toBe(0)
    const lines = r.out.trimEnd().split('\n')
    expect(lines).toHaveLength(presetSummaries().length)
    for (const [i, p] of presetSummaries().entries()) expect(lines[i]).toMatch(new RegExp(`^${p.id}\\s+${p.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`))
  })

  it('prints a preset as experiment JSON', async () => {
    const id = presetSummaries()[0].id
    const r = await cli('preset', id)
    expect(r.code).toBe(0)
    const parsed = JSON.parse(r.out) as { format: string; version: number }
    expect(parsed.format).toBe('cnn-lab.experiment')
    expect(parsed.version).toBe(2)
    // What the terminal door prints is a file every door opens.
    expect(parseExperimentText(r.out).ok).toBe(true)
  })

  it.each([
    [['bogus'], /unknown command "bogus"/],
    [['--bogus'], /unknown option "--bogus"/],
    [['presets', 'extra'], /unexpected argument "extra"/],
    [['preset'], /give an ID/],
    [['preset', 'no-such-preset'], /unknown preset "no-such-preset"/],
    [['preset', 'a', 'b'], /unexpected argument "b"/],
  ])('exits 2 with one line for %j', async (argv, message) => {
    const r = await cli(...argv)
    expect(r.code).toBe(2)
    expect(r.out).toBe('')
    expect(r.err).toMatch(message)
    expect(r.err.trimEnd().split('\n')).toHaveLength(1)
    expect(r.err).not.toMatch(/\bat .*\(/)
  })
})

describe('terminal door as a process', () => {
  it('exits 2 with one line on stderr for an unknown command', async () => {
    const { spawnSync } = await import('node:child_process')
    const path = await import('node:path')
    const root = path.resolve(import.meta.dirname, '..', '..')
    const r = spawnSync(path.join(root, 'node_modules', '.bin', 'tsx'), ['src/cli/main.ts', 'frobnicate'], { cwd: root, encoding: 'utf8' })
    expect(r.status).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim()).toBe('cnn-lab: unknown command "frobnicate" (try --help)')
  })
})
