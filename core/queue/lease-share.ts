// Spreads the exclusive loops of one group (a subscription's partition dispatchers) over the processes of a fleet
// that run that group, as a consumer group spreads partitions: each process aims for its fair share, the group's
// loops divided by the live processes that announce the group, rounded up. A process over its share hands one loop
// over at a time (the loop finishes what it holds, then frees the lease); a process at its share leaves free leases
// to the others for a few attempts, then takes them anyway, so a lease nobody else wants is never left unheld.

/** Who runs each group: the live members of the fleet, each with the groups it announced. */
export type GroupMembers = (group: string) => number;

/** Attempts a loop at its share leaves a free lease to others before it takes it. */
const PATIENCE = 3;

export class LeaseShare {
  private readonly sizes = new Map<string, number>();
  private readonly held = new Map<string, number>();
  private readonly handingOver = new Map<string, number>();

  constructor(private readonly members: GroupMembers) {}

  /** A loop of `group` exists in this process. */
  add(group: string): void {
    this.sizes.set(group, (this.sizes.get(group) ?? 0) + 1);
  }

  groups(): string[] {
    return [...this.sizes.keys()];
  }

  /** The loops of `group` this process should hold: all of them until other members announce the group. */
  share(group: string): number {
    const size = this.sizes.get(group) ?? 0;
    return Math.ceil(size / Math.max(1, this.members(group)));
  }

  /** Whether a loop of `group` should try for its lease now; `waited` counts the attempts it has let pass. */
  mayTake(group: string, waited: number): boolean {
    return (this.held.get(group) ?? 0) < this.share(group) || waited >= PATIENCE;
  }

  took(group: string): void {
    this.held.set(group, (this.held.get(group) ?? 0) + 1);
  }

  /** Called once the lease is freed, after a hand-over or any other end. */
  released(group: string, wasHandedOver: boolean): void {
    this.held.set(group, Math.max(0, (this.held.get(group) ?? 0) - 1));
    if (wasHandedOver) this.handingOver.set(group, Math.max(0, (this.handingOver.get(group) ?? 0) - 1));
  }

  /** True (and counted) when this process holds more of `group` than its share, counting hand-overs under way. */
  shouldHandOver(group: string): boolean {
    const leaving = this.handingOver.get(group) ?? 0;
    if ((this.held.get(group) ?? 0) - leaving <= this.share(group)) return false;
    this.handingOver.set(group, leaving + 1);
    return true;
  }
}
