import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { checkFile, checkSource, checkTree } from '../../scripts/lib/context-bridge-check.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const fixture = (name: string) => path.join(here, 'fixtures', name)
const root = path.resolve(here, '..', '..')

describe('context-bridge check', () => {
  it('fails a preload that exposes ipcRenderer', () => {
    const findings = checkFile(fixture('preload-exposes-ipc.ts'))
    expect(findings).toHaveLength(1)
    expect(findings[0].message).toMatch(/exposes ipcRenderer/)
    expect(findings[0].line).toBe(5)
  })

  it('fails a preload that spreads the electron module', () => {
    const findings = checkFile(fixture('preload-spreads-electron.ts'))
    expect(findings.map((f) => f.message)).toEqual([expect.stringMatching(/electron module object "electron"/)])
  })

  it('reads the script blocks of .vue files', () => {
    const findings = checkFile(fixture('ExposesRequire.vue'))
    expect(findings).toHaveLength(1)
    expect(findings[0].message).toMatch(/require\('electron'\)/)
    expect(findings[0].line).toBe(4)
  })

  it('passes a preload that wraps each channel', () => {
    expect(checkFile(fixture('preload-good.ts'))).toEqual([])
  })

  it.each([
    ['shorthand', `import { contextBridge, ipcRenderer } from 'electron'; contextBridge.exposeInMainWorld('x', { ipcRenderer })`],
    ['alias', `import { contextBridge, ipcRenderer as r } from 'electron'; contextBridge.exposeInMainWorld('x', r)`],
    ['spread via a variable', `import { contextBridge, ipcRenderer } from 'electron'; const api = { ...ipcRenderer }; contextBridge.exposeInMainWorld('x', api)`],
    ['require', `const { contextBridge } = require('electron'); contextBridge.exposeInMainWorld('x', { e: require('electron') })`],
    ['default import member', `import electron from 'electron'; electron.contextBridge.exposeInMainWorld('x', { ipc: electron.ipcRenderer })`],
    ['unbound method', `import { contextBridge, ipcRenderer } from 'electron'; contextBridge.exposeInMainWorld('x', { invoke: ipcRenderer.invoke })`],
    ['raw listener', `import { contextBridge, ipcRenderer } from 'electron'; contextBridge.exposeInMainWorld('x', { on: (fn: never) => ipcRenderer.on('a', fn) })`],
    ['returned from a function', `import { contextBridge, ipcRenderer } from 'electron'; function get() { return ipcRenderer } contextBridge.exposeInMainWorld('x', { get })`],
    ['destructured require alias', `const { contextBridge, ipcRenderer: ipc } = require('electron'); contextBridge.exposeInMainWorld('x', { ipc })`],
    ['isolated world', `import { contextBridge, ipcRenderer } from 'electron'; contextBridge.exposeInIsolatedWorld(1, 'x', ipcRenderer)`],
  ])('flags %s', (_name, code) => {
    expect(checkSource(code).length).toBeGreaterThan(0)
  })

  it('passes the real preload and renderer', () => {
    const { files, findings } = checkTree([path.join(root, 'src', 'preload'), path.join(root, 'src', 'renderer')])
    expect(files.some((f) => f.endsWith(path.join('preload', 'index.ts')))).toBe(true)
    expect(findings).toEqual([])
  })
})
