import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LabService } from '../../src/host/lab-service'
import { startServer, type RunningServer } from '../../src/server/http-server'
import { presetSummaries } from '../../src/engine/experiment/presets'
import { DEFAULT_BUDGET } from '../../src/shared/budget'

interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** A raw request: exact path and headers, nothing normalised. */
function raw(port: number, method: string, pathname: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path: pathname, headers, agent: false }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (text += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }))
    })
    req.on('error', reject)
    if (body !== undefined) req.write(body)
    req.end()
  })
}

let dir: string
let server: RunningServer
let service: LabService
let host: string

const get = (pathname: string, headers: Record<string, string> = {}) => raw(server.port, 'GET', pathname, { Host: host, ...headers })
const api = (method: string, body: unknown, headers: Record<string, string> = {}) =>
  raw(
    server.port,
    'POST',
    `/api/${method}`,
    { Host: host, 'Content-Type': 'application/json', 'X-Lab-Token': server.token, ...headers },
    typeof body === 'string' ? body : JSON.stringify(body),
  )

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'cnn-lab-server-'))
  const renderer = path.join(dir, 'renderer')
  mkdirSync(path.join(renderer, 'assets'), { recursive: true })
  writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><title>CNN Lab</title>')
  writeFileSync(path.join(renderer, 'assets', 'app.js'), 'console.log(1)')
  writeFileSync(path.join(renderer, 'assets', 'app.css'), 'body{}')
  writeFileSync(path.join(dir, 'secret.txt'), 'outside the renderer')
  symlinkSync(path.join(dir, 'secret.txt'), path.join(renderer, 'link.txt'))
  service = new LabService({ door: 'browser', version: '9.9.9' })
  server = await startServer({ port: 0, rendererDir: renderer, service, pingIntervalMs: 60_000 })
  host = `127.0.0.1:${server.port}`
})

afterAll(async () => {
  await server?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('browser door server: address and token', () => {
  it('listens on 127.0.0.1 with a long random token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`)
    expect(server.token).toMatch(/^[0-9a-f]{48}$/)
  })

  it('refuses requests without the token, or with a wrong one', async () => {
    expect((await get('/')).status).toBe(403)
    expect((await get('/?token=nope')).status).toBe(403)
    expect((await get('/assets/app.js')).status).toBe(403)
    const almost = server.token.slice(0, -1) + (server.token.endsWith('0') ? '1' : '0')
    expect((await get('/', { 'X-Lab-Token': almost })).status).toBe(403)
    expect((await api('listPresets', { args: [] }, { 'X-Lab-Token': 'x' })).status).toBe(403)
    expect((await get('/api/events')).status).toBe(403)
  })

  it('serves the page with the token in the URL and sets a strict HttpOnly cookie', async () => {
    const r = await get(`/?token=${server.token}`)
    expect(r.status).toBe(200)
    expect(r.body).toContain('<title>CNN Lab</title>')
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(r.headers['content-security-policy']).toContain("script-src 'self'")
    expect(r.headers['content-security-policy']).not.toContain("'unsafe-eval'")
    expect(r.headers['content-security-policy']).toContain("script-src 'self' 'wasm-unsafe-eval'")
    expect(r.headers['referrer-policy']).toBe('no-referrer')
    const cookie = String(r.headers['set-cookie'])
    expect(cookie).toContain(`cnnlab_token_${server.port}=${server.token}`)
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Strict')
    // The cookie then lets the page's assets load.
    const asset = await get('/assets/app.js', { Cookie: `cnnlab_token_${server.port}=${server.token}` })
    expect(asset.status).toBe(200)
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8')
    const css = await get('/assets/app.css', { 'X-Lab-Token': server.token })
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8')
  })

  it('refuses a foreign Host header, even with the token', async () => {
    for (const foreign of ['evil.example', `evil.example:${server.port}`, '127.0.0.1', `127.0.0.2:${server.port}`, `localhost:${server.port + 1}`]) {
      expect((await get(`/?token=${server.token}`, { Host: foreign })).status).toBe(403)
    }
    expect((await get(`/?token=${server.token}`, { Host: `localhost:${server.port}` })).status).toBe(200)
  })

  it('refuses cross-origin requests', async () => {
    const r = await api('listPresets', { args: [] }, { Origin: 'http://evil.example' })
    expect(r.status).toBe(403)
  })
})

describe('browser door server: static files', () => {
  const auth = () => ({ 'X-Lab-Token': server.token })

  it.each([
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/%2e%2e%2fsecret.txt',
    '/..%5csecret.txt',
    '/assets/%00app.js',
    '/link.txt',
    '/%',
  ])('never serves anything outside the renderer folder: %s', async (p) => {
    const r = await get(p, auth())
    expect(r.status).toBe(404)
    expect(r.body).not.toContain('outside the renderer')
  })

  it('404s a missing file and refuses other methods', async () => {
    expect((await get('/nope.js', auth())).status).toBe(404)
    expect((await raw(server.port, 'DELETE', '/index.html', { Host: host, ...auth() })).status).toBe(405)
  })
})

describe('browser door server: lab API', () => {
  it('answers a method with its value', async () => {
    const r = await api('listPresets', { args: [] })
    expect(r.status).toBe(200)
    const body = JSON.parse(r.body) as { ok: boolean; value: { id: string }[] }
    expect(body.ok).toBe(true)
    expect(body.value.map((p) => p.id)).toEqual(presetSummaries().map((p) => p.id))
    const info = JSON.parse((await api('appInfo', { args: [] })).body)
    expect(info).toEqual({ ok: true, value: { name: 'CNN Lab', version: '9.9.9', door: 'browser', budget: DEFAULT_BUDGET } })
  })

  it('getPreset returns the experiment, or a clear error', async () => {
    const id = presetSummaries()[0].id
    const ok = JSON.parse((await api('getPreset', { args: [id] })).body)
    expect(ok.ok).toBe(true)
    expect(ok.value.format).toBe('cnn-lab.experiment')
    const missing = await api('getPreset', { args: ['no-such'] })
    expect(missing.status).toBe(400)
    expect(JSON.parse(missing.body)).toEqual({ ok: false, error: 'unknown preset "no-such"' })
  })

  it.each([
    ['a number for a string', 'getPreset', { args: [42] }, /argument 0/],
    ['too many arguments', 'getPreset', { args: ['a', 'b'] }, /bad arguments/],
    ['too few arguments', 'getPreset', { args: [] }, /bad arguments/],
    ['an overlong id', 'getPreset', { args: ['x'.repeat(65)] }, /argument 0/],
    ['arguments to a method that takes none', 'listPresets', { args: [1] }, /bad arguments/],
    ['no args array', 'listPresets', { arguments: [] }, /\{"args": \[\.\.\.\]\}/],
    ['args not an array', 'listPresets', { args: 'x' }, /\{"args": \[\.\.\.\]\}/],
    ['a body that is not JSON', 'listPresets', '{nope', /bad request body/],
  ])('rejects %s with 400 and a message', async (_name, method, body, message) => {
    const r = await api(method, body)
    expect(r.status).toBe(400)
    const reply = JSON.parse(r.body) as { ok: boolean; error: string }
    expect(reply.ok).toBe(false)
    expect(reply.error).toMatch(message)
  })

  it('404s an unknown method, including inherited names', async () => {
    for (const name of ['nope', 'constructor', '__proto__', 'toString', 'call', 'emit']) {
      const r = await api(name, { args: [] })
      expect(r.status).toBe(404)
      expect(JSON.parse(r.body).ok).toBe(false)
    }
  })

  it('wants JSON and POST', async () => {
    expect((await api('listPresets', '{"args":[]}', { 'Content-Type': 'text/plain' })).status).toBe(415)
    expect((await get('/api/listPresets', { 'X-Lab-Token': server.token })).status).toBe(405)
  })

  it('refuses an oversized body', async () => {
    const r = await api('getPreset', { args: ['x'.repeat(2 << 20)] })
    expect(r.status).toBe(413)
  })
})

describe('browser door server: events', () => {
  it('streams server-sent events, starting with hello', async () => {
    const received: unknown[] = []
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port: server.port, path: '/api/events', headers: { Host: host, 'X-Lab-Token': server.token }, agent: false },
        (res) => {
          expect(res.statusCode).toBe(200)
          expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8')
          let buffer = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => {
            buffer += chunk
            let end
            while ((end = buffer.indexOf('\n\n')) >= 0) {
              const block = buffer.slice(0, end)
              buffer = buffer.slice(end + 2)
              const data = block.split('\n').find((l) => l.startsWith('data: '))
              if (data) received.push(JSON.parse(data.slice(6)))
              if (received.length === 1) service.emit({ type: 'ping', at: 1 })
              if (received.length === 2) {
                req.destroy()
                resolve()
              }
            }
          })
        },
      )
      req.on('error', (err) => (received.length >= 2 ? resolve() : reject(err)))
      req.end()
    })
    expect(received[0]).toMatchObject({ type: 'hello', door: 'browser' })
    expect(received[1]).toEqual({ type: 'ping', at: 1 })
  })
})
