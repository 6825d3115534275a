/**
 * One owner per data folder: the lock itself (stale owners, reused pids, other
 * hosts, release), then real browser doors (`tsx src/server/main.ts --port 0
 * --data DIR`) racing for one folder, with a kill -9 in between.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { DataDirLockedError, LOCK_FILE, isStale, lockDataDir, processStartTime, type LockOwner } from '../../src/host/data-lock'

const ROOT = resolve(import.meta.dirname, '..', '..')

let tmp: string
let renderer: string
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'cnnlab-owner-'))
  // The door only checks that a built renderer is there; a stub page keeps this test off the build.
  renderer = join(tmp, 'renderer')
  mkdirSync(renderer)
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>stub</title>')
})
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

let n = 0
const freshDir = (): string => join(tmp, `data-${n++}`)

function owner(over: Partial<LockOwner>): LockOwner {
  return { pid: process.pid, startTime: processStartTime(process.pid), bootId: null, hostname: hostname(), door: 'browser', since: 'then', ...over }
}

/** A pid that is certainly not alive: a child that has exited and been reaped. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await new Promise((done) => child.on('exit', done))
  return child.pid!
}

describe('data folder lock', () => {
  it('refuses a second taker while held, naming the folder and the pid; free again once released', () => {
    const dir = freshDir()
    const first = lockDataDir(dir, 'browser')
    let refused: unknown
    try {
      lockDataDir(dir, 'electron')
    } catch (err) {
      refused = err
    }
    expect(refused).toBeInstanceOf(DataDirLockedError)
    expect((refused as Error).message).toContain(dir)
    expect((refused as Error).message).toContain(`pid ${process.pid}`)
    first.release()
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false)
    lockDataDir(dir, 'electron').release()
  })

  it('takes over the lock of a dead pid, and of a live pid that started at another time (reused)', async () => {
    const dir = freshDir()
    mkdirSync(dir)
    const path = join(dir, LOCK_FILE)
    const dead = await deadPid()
    writeFileSync(path, JSON.stringify(owner({ pid: dead })))
    const a = lockDataDir(dir, 'browser')
    expect((JSON.parse(readFileSync(path, 'utf8')) as LockOwner).pid).toBe(process.pid)
    a.release()
    if (processStartTime(process.pid) !== null) {
      writeFileSync(path, JSON.stringify(owner({ startTime: '1' })))
      lockDataDir(dir, 'browser').release()
    }
  })

  it('respects a live owner, an owner on another host, and never removes a lock it no longer holds', () => {
    expect(isStale(owner({}))).toBe(false)
    expect(isStale(owner({ pid: 2 ** 22 + 7, hostname: 'elsewhere.example' }))).toBe(false)
    const dir = freshDir()
    const held = lockDataDir(dir, 'browser')
    // Someone replaced the lock after us (a takeover): our release must leave theirs alone.
    const theirs = JSON.stringify(owner({ door: 'electron' }))
    writeFileSync(join(dir, LOCK_FILE), theirs)
    held.release()
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(theirs)
  })

  it('treats a damaged lock file as stale', () => {
    const dir = freshDir()
    mkdirSync(dir)
    writeFileSync(join(dir, LOCK_FILE), '{"pid": ')
    lockDataDir(dir, 'browser').release()
  })
})

// Real processes: the pid in the lock is the server's own (node --import tsx runs it in-process).
const children: ChildProcess[] = []
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})

interface Door {
  child: ChildProcess
  /** The first stdout line, or null if the door exited first. */
  firstLine: Promise<string | null>
  exit: Promise<{ code: number | null; signal: string | null; stderr: string }>
}

function startDoor(dataDir: string): Door {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts', '--port', '0', '--data', dataDir, '--renderer', renderer], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let stdout = ''
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c))
  const exit = new Promise<{ code: number | null; signal: string | null; stderr: string }>((done) =>
    child.on('exit', (code, signal) => done({ code, signal, stderr })),
  )
  const firstLine = new Promise<string | null>((done) => {
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      stdout += c
      if (stdout.includes('\n')) done(stdout.slice(0, stdout.indexOf('\n')))
    })
    void exit.then(() => done(null))
  })
  return { child, firstLine, exit }
}

describe('two browser doors on one data folder', () => {
  it('the second refuses with one line naming the folder and the owner pid; after kill -9 of the first, a new one takes over', async () => {
    const dir = freshDir()
    const first = startDoor(dir)
    expect(await first.firstLine).toMatch(/^CNN Lab: http:\/\/127\.0\.0\.1:\d+\/\?token=/)
    const ownerPid = first.child.pid!

    const t0 = performance.now()
    const second = startDoor(dir)
    const refused = await second.exit
    expect(refused.code).toBe(1)
    const lines = refused.stderr.trimEnd().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^cnn-lab serve: the data folder .+ is in use by another CNN Lab/)
    expect(lines[0]).toContain(dir)
    expect(lines[0]).toContain(`pid ${ownerPid}`)
    console.log(`second door refused in ${Math.round(performance.now() - t0)} ms: ${lines[0]}`)

    first.child.kill('SIGKILL')
    expect((await first.exit).signal).toBe('SIGKILL')
    // kill -9 ran no exit handler: the dead owner's lock is still there.
    expect((JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as LockOwner).pid).toBe(ownerPid)

    const third = startDoor(dir)
    const url = (await third.firstLine)!
    expect(url).toMatch(/^CNN Lab: http:/)
    // It serves (and, its event loop having turned, listens for Ctrl+C: a signal sent sooner may meet Node's default action).
    expect((await fetch(url.slice('CNN Lab: '.length))).status).toBe(200)
    expect((JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as LockOwner).pid).toBe(third.child.pid)
    console.log(`stale lock of killed pid ${ownerPid} taken over by pid ${third.child.pid}`)

    // A clean stop (Ctrl+C) releases the folder.
    third.child.kill('SIGINT')
    const stopped = await third.exit
    expect(stopped.code, JSON.stringify(stopped)).toBe(0)
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false)
  }, 60_000)

  it('three doors racing for a stale lock: exactly one takes it over, the others refuse', async () => {
    const dir = freshDir()
    mkdirSync(dir)
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify(owner({ pid: await deadPid() })))
    const doors = [startDoor(dir), startDoor(dir), startDoor(dir)]
    const lines = await Promise.all(doors.map((d) => d.firstLine))
    const winners = doors.filter((_, i) => lines[i] !== null)
    expect(winners).toHaveLength(1)
    for (const [i, door] of doors.entries()) {
      if (lines[i] !== null) continue
      const { code, stderr } = await door.exit
      expect(code).toBe(1)
      expect(stderr).toContain(`pid ${winners[0].child.pid}`)
    }
    expect((JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as LockOwner).pid).toBe(winners[0].child.pid)
  }, 60_000)
})
