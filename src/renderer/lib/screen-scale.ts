/**
 * How many screen (viewport) pixels one of the element's own CSS pixels takes.
 * Pointer events come in viewport pixels, but presentation mode draws the app
 * under CSS `zoom`, so a cell of `cell` CSS pixels covers `cell × scale` of them.
 */
export function screenScale(el: { getBoundingClientRect(): { width: number }; offsetWidth: number }): number {
  const own = el.offsetWidth
  const onScreen = el.getBoundingClientRect().width
  return own > 0 && onScreen > 0 ? onScreen / own : 1
}
