/**
 * The latest snapshot and its rendering. Refreshes are coalesced (a burst of changes while one runs
 * gives one more, not one each) and only a rendering that differs from the last is pushed to the pages.
 */
import type { Logger } from '../util/logger.js';
import type { DashboardSnapshot } from './snapshot.js';
import { formatTime, renderLive } from './render.js';
import type { SseHub } from './sse.js';

export interface LiveUpdate {
  readonly version: number;
  readonly html: string;
  readonly generatedAt: string;
  readonly generatedLabel: string;
}

export class LiveView {
  readonly #collect: () => Promise<DashboardSnapshot>;
  readonly #hub: SseHub;
  readonly #logger: Logger;
  #snapshot: DashboardSnapshot | null = null;
  #html = '';
  #version = 0;
  #running: Promise<void> | null = null;
  #again = false;
  #stale = false;

  constructor(collect: () => Promise<DashboardSnapshot>, hub: SseHub, logger: Logger) {
    this.#collect = collect;
    this.#hub = hub;
    this.#logger = logger;
  }

  /** The snapshot after a refresh that started no earlier than this call. */
  async fresh(): Promise<DashboardSnapshot> {
    await this.refresh();
    if (this.#snapshot === null) throw new Error('the dashboard could not read the state');
    return this.#snapshot;
  }

  /** The last snapshot, or a fresh one if there is none yet or something changed since. */
  async latest(): Promise<DashboardSnapshot> {
    return this.#snapshot !== null && !this.#stale ? this.#snapshot : this.fresh();
  }

  /** Something changed, but nobody is looking: the next latest() reads afresh. */
  markStale(): void {
    this.#stale = true;
  }

  update(): LiveUpdate | null {
    if (this.#snapshot === null) return null;
    return { version: this.#version, html: this.#html, generatedAt: this.#snapshot.generatedAt, generatedLabel: formatTime(this.#snapshot.generatedAt) };
  }

  refresh(): Promise<void> {
    if (this.#running !== null) {
      // The loop below runs once more before it resolves, so callers always see their change.
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        this.#stale = false;
        try {
          this.#accept(await this.#collect());
        } catch (error) {
          this.#logger.warn({ err: error }, 'dashboard refresh failed; showing the last state');
        }
      } while (this.#again);
      this.#running = null;
    })();
    return this.#running;
  }

  #accept(snapshot: DashboardSnapshot): void {
    this.#snapshot = snapshot;
    const html = renderLive(snapshot);
    if (html === this.#html) return;
    this.#html = html;
    this.#version += 1;
    this.#hub.send('update', this.update());
  }
}
