import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const root = path.resolve(import.meta.dirname, '..', '..')

describe('packaging', () => {
  it('builds AppImage, deb, dmg and nsis with the app icon', () => {
    const config = readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')
    for (const target of ['AppImage', 'deb', 'dmg', 'nsis']) expect(config).toMatch(new RegExp(`^\\s+- ${target}$`, 'm'))
    expect(config).toMatch(/^icon: resources\/icon\.png$/m)
  })

  it('turns off the file-protocol fuse (the renderer is served over app://)', () => {
    const config = readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')
    expect(config).toMatch(/^electronFuses:\n(?:  .*\n)*  grantFileProtocolExtraPrivileges: false$/m)
    expect(config).toMatch(/^electronFuses:\n(?:  .*\n)*  runAsNode: false$/m)
  })

  it('has a 512x512 PNG icon in resources', () => {
    const png = readFileSync(path.join(root, 'resources', 'icon.png'))
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG')
    expect(png.readUInt32BE(16)).toBe(512)
    expect(png.readUInt32BE(20)).toBe(512)
  })

  it('points package.json main at the built main process', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { main: string; scripts: Record<string, string> }
    expect(pkg.main).toBe('./out/main/index.js')
    expect(pkg.scripts.dist).toContain('electron-builder')
  })
})
