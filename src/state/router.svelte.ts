// The page this tab shows, kept in step with the address bar. Pages once opened stay mounted (hidden):
// leaving Join for Verify must not leave the swarm, nor stop a training run.
import { pageFor, hrefOf, type Page } from './route.ts'

class Router {
  page = $state<Page>('home')
  /** Pages opened so far in this tab, in order: they stay mounted. */
  opened = $state<Page[]>([])
  /** Bumped by a Join button outside the Join page; the Join panel joins when it changes. */
  joinRequests = $state(0)

  start(): () => void {
    const sync = () => {
      this.page = pageFor(location.search, location.hash)
      if (!this.opened.includes(this.page)) this.opened = [...this.opened, this.page]
    }
    sync()
    addEventListener('hashchange', sync)
    return () => removeEventListener('hashchange', sync)
  }

  go(page: Page): void {
    // The hash change calls sync(); a hash naming the page already shown calls nothing, which is right.
    location.hash = hrefOf(page)
  }

  /** Open Join and join the swarm there, in one click. */
  join(): void {
    this.joinRequests++
    this.go('join')
  }
}

export const router = new Router()
