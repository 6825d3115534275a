/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * Finds text that does not fit: elements that clip their own content (overflow hidden/clip with
 * more content than box), text that spills out of the block that holds it, and controls cut by the
 * window's edge. Runs in the page and returns one line per offender (a selector and its text), so a
 * failing spec says what to fix.
 */
import type { Page } from '@playwright/test'

export interface Offender {
  kind: 'clips-content' | 'text-outside-box' | 'outside-window' | 'page-scrolls-sideways'
  selector: string
  text: string
  detail: string
}

/** Walks the document once. `root` limits the walk (default: the whole body). */
export async function findOverflow(page: Page, root = 'body'): Promise<Offender[]> {
  return page.evaluate((rootSelector) => {
    const found: Offender[] = []
    const SLACK = 1.5
    const describe = (el: Element): string => {
      const parts: string[] = []
      for (let e: Element | null = el; e && e !== document.body && parts.length < 4; e = e.parentElement) {
        const testid = e.getAttribute('data-testid')
        const cls = [...e.classList].filter((c) => !c.startsWith('data-v-')).slice(0, 2)
        parts.unshift(`${e.tagName.toLowerCase()}${testid ? `[data-testid=${testid}]` : ''}${cls.length ? `.${cls.join('.')}` : ''}`)
        if (testid) break
      }
      return parts.join(' > ')
    }
    const textOf = (el: Element) => (el.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 60)

    // Read for screen readers only, or not drawn at all: nothing a user can see is clipped there.
    const unseen = (el: Element): boolean => {
      for (let e: Element | null = el; e; e = e.parentElement) {
        if (e.classList.contains('visually-hidden')) return true
        const style = getComputedStyle(e)
        if (style.display === 'none' || style.visibility === 'hidden' || style.opacity === '0') return true
      }
      return false
    }

    const rootEl = document.querySelector(rootSelector) ?? document.body
    const vw = document.documentElement.clientWidth
    const vh = document.documentElement.clientHeight
    if (document.documentElement.scrollWidth > vw + SLACK) {
      found.push({ kind: 'page-scrolls-sideways', selector: 'html', text: '', detail: `scrollWidth ${document.documentElement.scrollWidth} > ${vw}` })
    }

    for (const el of rootEl.querySelectorAll('*')) {
      if (!(el instanceof HTMLElement) || el.closest('svg, canvas, option')) continue
      const rect = el.getBoundingClientRect()
      if (rect.width === 0 && rect.height === 0) continue
      const style = getComputedStyle(el)
      const clips = (v: string) => v === 'hidden' || v === 'clip'
      // 1. A box that hides part of its own content (ellipsis included: the text is cut). A
      // line-clamped teaser is meant to be cut (its full text is shown elsewhere).
      const clamped = style.getPropertyValue('-webkit-line-clamp') !== 'none' && style.getPropertyValue('-webkit-line-clamp') !== ''
      const cut = (clips(style.overflowX) && el.scrollWidth > el.clientWidth + SLACK) || (clips(style.overflowY) && el.scrollHeight > el.clientHeight + SLACK)
      if (cut && !clamped) {
        if (!unseen(el) && textOf(el)) {
          found.push({ kind: 'clips-content', selector: describe(el), text: textOf(el), detail: `scroll ${el.scrollWidth}x${el.scrollHeight} in client ${el.clientWidth}x${el.clientHeight}` })
        }
      }
      // 2. The main area scrolls sideways: something is wider than the window leaves it.
      if (el.classList.contains('app-main') && el.scrollWidth > el.clientWidth + SLACK) {
        found.push({ kind: 'page-scrolls-sideways', selector: describe(el), text: '', detail: `scrollWidth ${el.scrollWidth} > clientWidth ${el.clientWidth}` })
      }
    }

    // 3. Text runs outside the block box that holds it (nowrap labels spilling over a neighbour).
    const walker = document.createTreeWalker(rootEl, NodeFilter.SHOW_TEXT)
    const range = document.createRange()
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent?.trim()) continue
      let holder = node.parentElement
      if (!holder || holder.closest('svg, canvas, option, select, script, style') || unseen(holder)) continue
      while (holder.parentElement && getComputedStyle(holder).display === 'inline') holder = holder.parentElement
      range.selectNodeContents(node)
      const text = range.getBoundingClientRect()
      if (text.width === 0) continue
      const box = holder.getBoundingClientRect()
      const selector = describe(holder)
      const snippet = node.textContent.replace(/\s+/g, ' ').trim().slice(0, 60)
      if (text.left < box.left - SLACK || text.right > box.right + SLACK) {
        found.push({ kind: 'text-outside-box', selector, text: snippet, detail: `text ${text.left.toFixed(0)}..${text.right.toFixed(0)} box ${box.left.toFixed(0)}..${box.right.toFixed(0)}` })
      }
      // Cut by the window's right edge where nothing scrolls it into view.
      if (text.right > vw + SLACK || (text.bottom > vh + SLACK && !holder.closest('.app-main'))) {
        found.push({ kind: 'outside-window', selector, text: snippet, detail: `text right ${text.right.toFixed(0)} bottom ${text.bottom.toFixed(0)} window ${vw}x${vh}` })
      }
    }
    // One line per place: the same offender is often reached through several of its text nodes.
    const seen = new Set<string>()
    return found.filter((o) => {
      const key = `${o.kind} ${o.selector} ${o.text}`
      if (seen.has(key)) return false
      seen.add(key)
      return true
    })
  }, root) as Promise<Offender[]>
}

export function formatOffenders(offenders: Offender[]): string {
  return offenders.map((o) => `${o.kind}: ${o.selector} "${o.text}" (${o.detail})`).join('\n')
}
