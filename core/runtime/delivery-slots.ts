// The process's delivery slots: how many batches it delivers at once, shared by the delivery jobs it runs and the
// batches its dispatchers deliver themselves. A dispatcher that finds every slot busy waits for one, so a batch
// leaves from the process that claimed it as soon as a slot frees; only a process that stays saturated hands its
// batches to the queue, where any worker of the fleet takes them.

export class DeliverySlots {
  private busy = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly size: number) {}

  /** Takes a slot if one is free; the result gives it back. */
  take(): (() => void) | undefined {
    if (this.busy >= this.size) return undefined;
    return this.enter();
  }

  /** Takes a slot whether or not one is free (a job the queue already started); the result gives it back. */
  enter(): () => void {
    this.busy++;
    let isGiven = false;
    return () => {
      if (isGiven) return;
      isGiven = true;
      this.busy--;
      this.waiters.shift()?.();
    };
  }

  /** Takes a slot as soon as one frees, waiting at most `ms`; undefined when none freed in time or on abort. */
  async wait(ms: number, signal: AbortSignal): Promise<(() => void) | undefined> {
    const deadline = Date.now() + ms;
    for (;;) {
      const slot = this.take();
      if (slot || signal.aborted) return slot;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', wake);
          const at = this.waiters.indexOf(wake);
          if (at >= 0) this.waiters.splice(at, 1);
          resolve();
        };
        const timer = setTimeout(wake, left);
        signal.addEventListener('abort', wake, { once: true });
        this.waiters.push(wake);
      });
    }
  }
}
