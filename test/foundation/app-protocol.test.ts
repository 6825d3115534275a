/**
 * The Electron door serves the renderer over app://cnn-lab/ (src/main/app-protocol.ts),
 * strictly from inside out/renderer, with the browser door's CSP.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APP_URL, rendererResponse } from '../../src/main/app-protocol'
import { CSP } from '../../src/server/http-server'

const ROOT = resolve(import.meta.dirname, '..', '..')
let tmp: string
let renderer: string
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'cnnlab-app-'))
  renderer = join(tmp, 'renderer')
  mkdirSync(join(renderer, 'assets'), { recursive: true })
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>lab</title>')
  writeFileSync(join(renderer, 'assets', 'main.js'), 'export {}')
  writeFileSync(join(tmp, 'secret.txt'), 'outside the renderer')
  symlinkSync(join(tmp, 'secret.txt'), join(renderer, 'assets', 'link.txt'))
})
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('app:// renderer protocol', () => {
  it('serves the page and its assets with their types and the CSP', async () => {
    const page = await rendererResponse(renderer, APP_URL)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(page.headers.get('content-security-policy')).toBe(CSP)
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    expect(page.headers.get('x-content-type-options')).toBe('nosniff')
    expect(await page.text()).toBe('<!doctype html><title>lab</title>')
    const script = await rendererResponse(renderer, 'app://cnn-lab/assets/main.js?v=1#x')
    expect(script.status).toBe(200)
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect((await rendererResponse(renderer, 'app://cnn-lab/')).status).toBe(200)
  })

  it.each([
    'app://cnn-lab/../secret.txt',
    'app://cnn-lab/assets/%2e%2e/%2e%2e/secret.txt',
    'app://cnn-lab/..%2fsecret.txt',
    'app://cnn-lab/assets%5c..%5c..%5csecret.txt',
    'app://cnn-lab/assets/link.txt',
    'app://cnn-lab/%00index.html',
    'app://cnn-lab/assets',
    'app://cnn-lab/missing.js',
    'app://other/index.html',
    'file:///etc/passwd',
    'not a url',
  ])('refuses %s without reading outside the renderer', async (url) => {
    const reply = await rendererResponse(renderer, url)
    expect(reply.status).toBeGreaterThanOrEqual(400)
    expect(await reply.text()).not.toContain('outside the renderer')
  })

  it('answers only GET and HEAD', async () => {
    expect((await rendererResponse(renderer, APP_URL, 'POST')).status).toBe(405)
    const head = await rendererResponse(renderer, APP_URL, 'HEAD')
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
  })

  it('is what the main process loads: a privileged app:// scheme, never loadFile or file://', () => {
    const main = readFileSync(join(ROOT, 'src', 'main', 'index.ts'), 'utf8')
    expect(main).toContain('protocol.registerSchemesAsPrivileged')
    expect(main).toContain('protocol.handle(APP_SCHEME')
    expect(main).not.toMatch(/loadFile\(|pathToFileURL|file:\/\//)
  })
})
