// Pause, resume and restart orders for a whole fleet. An order is a flag in storage's state (Redis in a fleet,
// under the key that core/storage/keys.ts spells for state), and every process reads the flags of its pipelines
// every CONTROL_POLL_MS: an order reaches every worker, also one that starts later, and outlives restarts.
// A target is a pipeline (`gps`) or one sink of it (`gps/warehouse`).
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StateStore } from '../plugin.js';

export const CONTROL_SCOPE = 'sluice-control';
export const CONTROL_POLL_MS = 500;

export interface ControlView {
  /** Targets paused now. */
  paused: Set<string>;
  /** The latest restart order of each target that has one. */
  restarts: Map<string, string>;
}

export class FleetControl {
  constructor(private readonly state: StateStore) {}

  pause(target: string): Promise<void> {
    return this.state.set(`paused:${target}`, '1');
  }

  resume(target: string): Promise<void> {
    return this.state.delete(`paused:${target}`);
  }

  /** Orders every process to re-create the target's sinks; each order has its own id so it is applied once. */
  restart(target: string): Promise<void> {
    return this.state.set(`restart:${target}`, `${Date.now()}-${randomUUID()}`);
  }

  async read(targets: readonly string[]): Promise<ControlView> {
    const view: ControlView = { paused: new Set(), restarts: new Map() };
    await Promise.all(
      targets.map(async (t) => {
        const [paused, restart] = await Promise.all([this.state.get(`paused:${t}`), this.state.get(`restart:${t}`)]);
        if (paused !== undefined) view.paused.add(t);
        if (restart !== undefined) view.restarts.set(t, restart);
      }),
    );
    return view;
  }
}

/** Reads the flags of `targets` until `signal` aborts, handing each view to `apply`; a failed read is skipped. */
export async function watchControl(
  control: FleetControl,
  targets: readonly string[],
  apply: (view: ControlView) => Promise<void>,
  signal: AbortSignal,
  everyMs = CONTROL_POLL_MS,
): Promise<void> {
  while (!signal.aborted) {
    // Aborted with the engine: a stopped engine leaves no timer behind to hold the process.
    const isStopped = await sleep(everyMs, undefined, { signal }).then(
      () => false,
      () => true,
    );
    if (isStopped) return;
    try {
      await apply(await control.read(targets));
    } catch {
      // Storage away: the flags are read again at the next tick; what is paused stays paused meanwhile.
    }
  }
}
