/**
 * A strict XML well-formedness check for the SVG export tests: sax in strict
 * mode (a devDependency) stops at the first error,
 * as a browser's DOMParser would with its parsererror.
 */
import { createRequire } from 'node:module'

interface SaxParser {
  onerror: (err: Error) => void
  onopentag: (tag: { name: string; attributes: Record<string, string> }) => void
  write(text: string): SaxParser
  close(): SaxParser
}
const sax = createRequire(import.meta.url)('sax') as { parser(strict: boolean): SaxParser }

/** Null when the text is well-formed XML, else the parser's first message. Also counts elements by name. */
export function xmlProblems(text: string): { error: string | null; elements: Record<string, number> } {
  const elements: Record<string, number> = {}
  const parser = sax.parser(true)
  let error: string | null = null
  parser.onerror = (err) => {
    error ??= err.message.split('\n')[0]
    throw err
  }
  parser.onopentag = (tag) => {
    elements[tag.name] = (elements[tag.name] ?? 0) + 1
  }
  try {
    parser.write(text).close()
  } catch {
    // error holds the message
  }
  return { error, elements }
}
