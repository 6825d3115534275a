import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { RecentFiles, RECENT_FILES_NAME } from '../../src/host/recent-files'
import { tempDir } from './helpers/lab'

let dir: ReturnType<typeof tempDir>
let path: string
beforeEach(() => {
  dir = tempDir('cnnlab-recent-')
  path = join(dir.path, RECENT_FILES_NAME)
})
afterEach(() => dir.remove())

describe('RecentFiles', () => {
  it('keeps the most recent first, without duplicates, up to its maximum, and persists', async () => {
    const recent = new RecentFiles(path, 3)
    expect(await recent.list()).toEqual([])
    await recent.add('/a/one.cnnlab.json')
    await recent.add('/a/two.cnnlab.json')
    await recent.add('/a/one.cnnlab.json')
    await recent.add('/a/three.cnnlab.json')
    expect(await recent.add('/a/four.cnnlab.json')).toEqual(['/a/four.cnnlab.json', '/a/three.cnnlab.json', '/a/one.cnnlab.json'])
    expect(await new RecentFiles(path, 3).list()).toEqual(['/a/four.cnnlab.json', '/a/three.cnnlab.json', '/a/one.cnnlab.json'])
    expect(await recent.remove('/a/three.cnnlab.json')).toEqual(['/a/four.cnnlab.json', '/a/one.cnnlab.json'])
    await recent.clear()
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ format: 'cnn-lab.recent-files', version: 1, files: [] })
  })

  it('treats a damaged list as empty, drops bad entries, and refuses paths that are not absolute', async () => {
    writeFileSync(path, '{"format": "cnn-lab.recent-files", "vers')
    expect(await new RecentFiles(path).list()).toEqual([])
    writeFileSync(path, JSON.stringify({ format: 'cnn-lab.recent-files', version: 1, files: ['/ok.cnnlab.json', 'relative.json', 42, '/nul\0.json', '/ok.cnnlab.json'] }))
    expect(await new RecentFiles(path).list()).toEqual(['/ok.cnnlab.json'])
    writeFileSync(path, JSON.stringify({ __proto__: { polluted: 1 }, files: ['/x'] }))
    expect(await new RecentFiles(path).list()).toEqual([])
    const recent = new RecentFiles(path)
    await expect(recent.add('relative.cnnlab.json')).rejects.toThrow(/absolute path/)
    await expect(recent.add('/a\0b')).rejects.toThrow(/absolute path/)
  })

  it('keeps the last write when adds race', async () => {
    const recent = new RecentFiles(path, 10)
    await Promise.all(Array.from({ length: 20 }, (_, i) => recent.add(`/f/${i}.cnnlab.json`)))
    const persisted = JSON.parse(readFileSync(path, 'utf8')).files
    expect(persisted).toEqual(await recent.list())
    expect(persisted).toHaveLength(10)
  })

  it('reports a list that cannot be saved', async () => {
    const recent = new RecentFiles(join(dir.path, 'no-such-folder', RECENT_FILES_NAME))
    await expect(recent.add('/x.cnnlab.json')).rejects.toThrow()
    expect(await recent.list()).toEqual(['/x.cnnlab.json'])
  })
})
