// The context-bridge check: nothing exposed through contextBridge may be (or
// lead straight to) the `electron` module or `ipcRenderer`. Electronegativity
// does not look at .vue files and misses these cases, so the lab checks them
// itself, on the TypeScript syntax tree of each file.
//
// Flagged, anywhere inside the value given to exposeInMainWorld /
// exposeInIsolatedWorld (following local variables and functions it names):
//   - require('electron') / require('electron/renderer')
//   - the electron module object itself (`import electron from 'electron'`,
//     `import * as electron`, `const electron = require('electron')`) used as a value
//   - `ipcRenderer` (however imported or aliased) used as a value: passed,
//     returned, spread, put in an object, or a method of it taken without a call
//     (`invoke: ipcRenderer.invoke`)
//   - a renderer's listener handed straight to ipcRenderer.on/once/addListener
//     (it would receive the IPC event object, and with it the sender)
import { readFileSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import ts from 'typescript'

const ELECTRON_MODULES = new Set(['electron', 'electron/renderer', 'electron/common'])
const LISTEN_METHODS = new Set(['on', 'once', 'addListener', 'prependListener', 'prependOnceListener'])

/** The script blocks of a .vue file, with their line offsets. */
function vueScripts(source) {
  const blocks = []
  const re = /<script\b[^>]*>([\s\S]*?)<\/script>/g
  let match
  while ((match = re.exec(source))) {
    const start = match.index + match[0].indexOf('>') + 1
    blocks.push({ code: match[1], lineOffset: source.slice(0, start).split('\n').length - 1 })
  }
  return blocks
}

function isRequireOf(node, modules) {
  return (
    ts.isCallExpression(node) &&
    ts.isIdentifier(node.expression) &&
    node.expression.text === 'require' &&
    node.arguments.length === 1 &&
    ts.isStringLiteralLike(node.arguments[0]) &&
    modules.has(node.arguments[0].text)
  )
}

/**
 * Check one file's code. Returns a list of findings
 * `{ file, line, message }`; an empty list means it passes.
 */
export function checkSource(code, file = 'input.ts', lineOffset = 0) {
  const sf = ts.createSourceFile(file, code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
  const moduleNames = new Set() // bound to the electron module object
  const ipcNames = new Set() // bound to ipcRenderer
  const declarations = new Map() // name -> initializer / function node
  const exposeCalls = []

  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier) && ELECTRON_MODULES.has(node.moduleSpecifier.text)) {
      const clause = node.importClause
      if (clause?.name) moduleNames.add(clause.name.text)
      const bindings = clause?.namedBindings
      if (bindings && ts.isNamespaceImport(bindings)) moduleNames.add(bindings.name.text)
      if (bindings && ts.isNamedImports(bindings)) {
        for (const el of bindings.elements) {
          if ((el.propertyName ?? el.name).text === 'ipcRenderer') ipcNames.add(el.name.text)
        }
      }
    }
    if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const expr = node.moduleReference.expression
      if (ts.isStringLiteral(expr) && ELECTRON_MODULES.has(expr.text)) moduleNames.add(node.name.text)
    }
    if (ts.isVariableDeclaration(node) && node.initializer) {
      const init = node.initializer
      const fromElectron = isRequireOf(init, ELECTRON_MODULES) || (ts.isIdentifier(init) && moduleNames.has(init.text))
      if (ts.isIdentifier(node.name)) {
        declarations.set(node.name.text, init)
        if (fromElectron) moduleNames.add(node.name.text)
        if (ts.isPropertyAccessExpression(init) && init.name.text === 'ipcRenderer') ipcNames.add(node.name.text)
        if (ts.isIdentifier(init) && ipcNames.has(init.text)) ipcNames.add(node.name.text)
      } else if (ts.isObjectBindingPattern(node.name) && fromElectron) {
        for (const el of node.name.elements) {
          const key = el.propertyName && ts.isIdentifier(el.propertyName) ? el.propertyName.text : ts.isIdentifier(el.name) ? el.name.text : ''
          if (key === 'ipcRenderer' && ts.isIdentifier(el.name)) ipcNames.add(el.name.text)
        }
      }
    }
    if (ts.isFunctionDeclaration(node) && node.name) declarations.set(node.name.text, node)
    if (ts.isCallExpression(node)) {
      const callee = node.expression
      const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isIdentifier(callee) ? callee.text : ''
      if (name === 'exposeInMainWorld' || name === 'exposeInIsolatedWorld') exposeCalls.push(node)
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)

  const findings = []
  const report = (node, message) => {
    const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf))
    findings.push({ file, line: line + 1 + lineOffset, message })
  }

  /** Is this identifier occurrence a use of its value (not a property name, not a declaration name)? */
  const isValueUse = (id) => {
    const p = id.parent
    if (ts.isPropertyAccessExpression(p) && p.name === id) return false
    if (ts.isPropertyAssignment(p) && p.name === id) return false
    if ((ts.isMethodDeclaration(p) || ts.isPropertyDeclaration(p) || ts.isGetAccessor(p) || ts.isSetAccessor(p)) && p.name === id) return false
    if ((ts.isVariableDeclaration(p) || ts.isParameter(p) || ts.isFunctionDeclaration(p) || ts.isBindingElement(p)) && p.name === id) return false
    if (ts.isQualifiedName(p) || ts.isTypeReferenceNode(p)) return false
    return true
  }

  /** `x.y` where the access is taken as a value rather than called. */
  const isUncalledMember = (access) => {
    let node = access
    while (ts.isParenthesizedExpression(node.parent)) node = node.parent
    const p = node.parent
    return !(ts.isCallExpression(p) && p.expression === node) && !(ts.isPropertyAccessExpression(p) && p.expression === node)
  }

  const enclosingParams = (node, root) => {
    const names = new Set()
    for (let n = node.parent; n && n !== root.parent; n = n.parent) {
      if (ts.isFunctionLike(n)) for (const param of n.parameters ?? []) if (ts.isIdentifier(param.name)) names.add(param.name.text)
    }
    return names
  }

  const seen = new Set()
  const inspect = (root) => {
    if (!root || seen.has(root)) return
    seen.add(root)
    const walk = (node) => {
      if (isRequireOf(node, ELECTRON_MODULES)) report(node, `exposes require('${node.arguments[0].text}') through the context bridge`)
      if (ts.isIdentifier(node) && isValueUse(node)) {
        const p = node.parent
        if (moduleNames.has(node.text)) {
          if (!(ts.isPropertyAccessExpression(p) && p.expression === node)) {
            report(node, `exposes the electron module object "${node.text}" through the context bridge`)
          } else if (p.name.text === 'ipcRenderer' && isUncalledMember(p)) {
            report(node, `exposes ${node.text}.ipcRenderer through the context bridge`)
          }
        } else if (ipcNames.has(node.text)) {
          if (!(ts.isPropertyAccessExpression(p) && p.expression === node)) {
            report(node, `exposes ipcRenderer ("${node.text}") through the context bridge`)
          } else if (isUncalledMember(p)) {
            report(node, `exposes ipcRenderer.${p.name.text} without calling it (a renderer could use any channel)`)
          }
        } else if (declarations.has(node.text)) {
          inspect(declarations.get(node.text))
        }
      }
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && LISTEN_METHODS.has(node.expression.name.text)) {
        const target = node.expression.expression
        const onIpc =
          (ts.isIdentifier(target) && ipcNames.has(target.text)) ||
          (ts.isPropertyAccessExpression(target) && target.name.text === 'ipcRenderer')
        const listener = node.arguments[1]
        if (onIpc && listener && ts.isIdentifier(listener) && enclosingParams(node, root).has(listener.text)) {
          report(listener, `passes the renderer's listener "${listener.text}" straight to ipcRenderer.${node.expression.name.text} (it would receive the IPC event)`)
        }
      }
      ts.forEachChild(node, walk)
    }
    walk(root)
  }

  for (const call of exposeCalls) {
    const exposed = call.expression.name?.text === 'exposeInIsolatedWorld' ? call.arguments[2] : call.arguments[1]
    inspect(exposed)
  }
  return findings
}

/** Check a .ts/.js/.vue file by path. */
export function checkFile(file) {
  const source = readFileSync(file, 'utf8')
  if (file.endsWith('.vue')) return vueScripts(source).flatMap((block) => checkSource(block.code, file, block.lineOffset))
  return checkSource(source, file)
}

/** Check every .ts/.tsx/.js/.mjs/.cjs/.vue file under the given folders. */
export function checkTree(dirs) {
  const files = []
  const collect = (dir) => {
    let entries
    try {
      entries = readdirSync(dir)
    } catch {
      return
    }
    for (const entry of entries) {
      if (entry === 'node_modules') continue
      const full = path.join(dir, entry)
      if (statSync(full).isDirectory()) collect(full)
      else if (/\.(ts|tsx|mts|cts|js|mjs|cjs|vue)$/.test(entry) && !entry.endsWith('.d.ts')) files.push(full)
    }
  }
  dirs.forEach(collect)
  return { files, findings: files.flatMap(checkFile) }
}
