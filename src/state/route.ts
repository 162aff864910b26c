// Which page a URL opens. Pages are hash routes (`#/verify`): they work from any static host and any
// subpath with no server rules, and a page change never reloads the tab (a swarm or a training run
// keeps going). Every link made before pages existed keeps its meaning: `#receipt=` opens Verify,
// `#settlement=` Markets (as do `#/markets/0x…` and `?market=0x…`, which open one market), `?swarm=1` (or `?swarm=rl`, `?swarmKind=`) Join, the training parameters Train
// (docs/automation.md).

export const PAGES = ['home', 'join', 'train', 'generate', 'verify', 'settle', 'markets'] as const
export type Page = (typeof PAGES)[number]

export const PAGE_TITLES: Record<Page, string> = {
  home: 'Home',
  join: 'Join a swarm',
  train: 'Train',
  generate: 'Generate',
  verify: 'Verify',
  settle: 'Settle a dispute',
  markets: 'Markets',
}

/** The page for a location's `search` and `hash`. */
export function pageFor(search: string, hash: string): Page {
  const path = /^#\/([a-z]*)/.exec(hash)?.[1]
  if (path !== undefined) return (PAGES as readonly string[]).includes(path) ? (path as Page) : 'home'
  if (hash.startsWith('#receipt=')) return 'verify'
  if (hash.startsWith('#settlement=')) return 'markets'
  const q = new URLSearchParams(search)
  if (q.has('market')) return 'markets'
  if (q.get('swarm') === '1' || q.get('swarm') === 'rl' || q.has('swarmKind')) return 'join'
  if (['teach', 'teachSwarm', 'autostart'].some((p) => q.get(p) === '1')) return 'train'
  if (q.has('preset') || q.has('steps')) return 'train'
  return 'home'
}

/** The hash that opens `page` (home is the bare address). */
export const hrefOf = (page: Page): string => (page === 'home' ? '#/' : `#/${page}`)

/** The market a URL opens: `#/markets/0x…` (the page's links) or `?market=0x…`; null for none. */
export function marketFor(search: string, hash: string): `0x${string}` | null {
  const m =
    /^#\/markets\/(0x[0-9a-fA-F]{40})$/.exec(hash)?.[1] ?? new URLSearchParams(search).get('market') ?? ''
  return /^0x[0-9a-fA-F]{40}$/.test(m) ? (m as `0x${string}`) : null
}

/** The hash that opens one market. */
export const marketHref = (address: string): string => `#/markets/${address}`
