import { describe, expect, it } from 'vitest'
import { LabService } from '../../src/host/lab-service'
import { LAB_METHOD_NAMES, LabEventSchema, isLabMethod, parseLabArgs, unwrapResult } from '../../src/shared/lab-api'
import { DEFAULT_BUDGET } from '../../src/shared/budget'
import { bytesReplacer, bytesReviver } from '../../src/shared/wire-bytes'

describe('lab API contract', () => {
  it('the service implements every method of the table', () => {
    const service = new LabService({ door: 'electron', version: '1.2.3' })
    for (const name of LAB_METHOD_NAMES) expect(typeof service[name]).toBe('function')
    expect(LAB_METHOD_NAMES).toEqual(expect.arrayContaining(['appInfo', 'listPresets', 'getPreset']))
  })

  it('knows only its own methods', () => {
    expect(isLabMethod('listPresets')).toBe(true)
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty', '', 42, null]) expect(isLabMethod(name)).toBe(false)
  })

  it('validates arguments with each method tuple', () => {
    expect(parseLabArgs('getPreset', ['mnist'])).toEqual({ ok: true, args: ['mnist'] })
    expect(parseLabArgs('getPreset', [1]).ok).toBe(false)
    expect(parseLabArgs('getPreset', 'mnist').ok).toBe(false)
    expect(parseLabArgs('listPresets', []).ok).toBe(true)
    expect(parseLabArgs('listPresets', [undefined]).ok).toBe(false)
  })

  it('call() never throws: envelopes for success and failure', async () => {
    const service = new LabService({ door: 'electron', version: '1.2.3' })
    expect(await service.call('appInfo', [])).toEqual({ ok: true, value: { name: 'CNN Lab', version: '1.2.3', door: 'electron', budget: DEFAULT_BUDGET } })
    expect(await service.call('getPreset', ['nope'])).toEqual({ ok: false, error: 'unknown preset "nope"' })
    expect((await service.call('nope', [])).ok).toBe(false)
    expect((await service.call('getPreset', null)).ok).toBe(false)
  })

  it('unwrapResult throws the error message as an Error', () => {
    expect(unwrapResult({ ok: true, value: 3 })).toBe(3)
    expect(() => unwrapResult({ ok: false, error: 'boom' })).toThrow(new Error('boom'))
    expect(() => unwrapResult('garbage')).toThrow(/malformed/)
  })

  it('events go to every listener until it unsubscribes, and validate', () => {
    const service = new LabService({ door: 'browser', version: '0' })
    const seen: string[] = []
    const off = service.onEvent((e) => seen.push(e.type))
    service.emit({ type: 'ping', at: 1 })
    off()
    service.emit({ type: 'ping', at: 2 })
    expect(seen).toEqual(['ping'])
    expect(LabEventSchema.safeParse(service.helloEvent()).success).toBe(true)
    expect(LabEventSchema.safeParse({ type: 'hello' }).success).toBe(false)
  })

  it('carries bytes both ways: exportPytorch returns a zip, importRun takes a zip or files (HTTP: {"$bytes": base64})', async () => {
    const zip = new Uint8Array([80, 75, 5, 6, 0, 255, 128])
    const wire = JSON.parse(JSON.stringify({ args: [{ zip }] }, bytesReplacer), bytesReviver) as { args: unknown[] }
    expect(wire.args[0]).toEqual({ zip })
    expect((wire.args[0] as { zip: unknown }).zip).toBeInstanceOf(Uint8Array)
    expect(parseLabArgs('importRun', wire.args).ok).toBe(true)
    expect(parseLabArgs('importRun', [{ files: { 'run.json': new Uint8Array(2) } }]).ok).toBe(true)
    expect(parseLabArgs('importRun', [{ zip: 'UEsFBg==' }])).toMatchObject({ ok: false, error: expect.stringContaining('argument 0.zip: must be bytes') })
    expect(parseLabArgs('importRun', [{}])).toMatchObject({ ok: false, error: expect.stringContaining('give either zip') })
    expect(parseLabArgs('exportPytorch', ['2026-11-21T20-15-03-patterns-3-ab12']).ok).toBe(true)
    const service = new LabService({ door: 'browser', version: '0' })
    expect(await service.call('exportPytorch', ['2026-11-21T20-15-03-patterns-3-ab12'])).toEqual({ ok: false, error: 'the runs folder is not available in this door (no data folder)' })
  })
})
