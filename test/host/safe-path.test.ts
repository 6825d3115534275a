import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkRunId, isRunId, resolveInside, UnsafePathError } from '../../src/host/safe-path'

const root = join(tmpdir(), 'cnnlab-root')

describe('resolveInside', () => {
  it('resolves plain names and nested relative names inside the root', () => {
    expect(resolveInside(root, 'run-1')).toBe(join(root, 'run-1'))
    expect(resolveInside(root, 'a/b/c.json')).toBe(join(root, 'a', 'b', 'c.json'))
    expect(resolveInside(root, './x')).toBe(join(root, 'x'))
    // Dots that are not a whole segment are ordinary characters.
    expect(resolveInside(root, '..foo')).toBe(join(root, '..foo'))
    expect(resolveInside(root, '%2e%2e')).toBe(join(root, '%2e%2e'))
  })

  it.each([
    ['..', /leaves the folder/],
    ['../x', /leaves the folder/],
    ['a/../../x', /leaves the folder/],
    ['a\\..\\..\\x', /leaves the folder/],
    ['/etc/passwd', /absolute path/],
    ['C:\\Windows\\x', /absolute path/],
    ['\\\\server\\share', /absolute path/],
    ['run\0.json', /NUL/],
    ['', /required/],
    ['.', /not inside/],
    ['a/..', /leaves the folder/],
  ])('refuses %j', (name, message) => {
    expect(() => resolveInside(root, name)).toThrow(UnsafePathError)
    expect(() => resolveInside(root, name)).toThrow(message)
  })

  it('never returns a path outside the root, for any string (fast-check, 5,000)', () => {
    const parts = fc.constantFrom('..', '.', 'a', 'b.json', '', '/', '\\', '\0', 'C:', '%2e', '~')
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.array(parts, { maxLength: 8 }).map((p) => p.join('/'))), (name) => {
        let result: string
        try {
          result = resolveInside(root, name)
        } catch (error) {
          expect(error).toBeInstanceOf(UnsafePathError)
          return
        }
        expect(result.startsWith(resolve(root) + '/')).toBe(true)
      }),
      { numRuns: 5000 },
    )
  })
})

describe('run ids', () => {
  it('accepts the ids the host makes and nothing that could be a path', () => {
    expect(isRunId('2026-11-21T20-15-03-patterns-3-ab12')).toBe(true)
    for (const bad of ['../2026-11-21T20-15-03-x-ab12', '2026-11-21T20-15-03-x-ab12/..', '2026-11-21T20-15-03-X-ab12', '2026-11-21T20-15-03--ab12', '2026-11-21T20-15-03-x-ab12\0', 'x', '', 42, null, '2026-11-21T20:15:03-x-ab12']) {
      expect(isRunId(bad)).toBe(false)
      expect(() => checkRunId(bad)).toThrow(/is not a run id/)
    }
    expect(() => checkRunId('a\0b')).toThrow('"a?b" is not a run id')
  })
})
