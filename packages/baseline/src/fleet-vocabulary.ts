// Fleet prevalence: how many of the learner's agents use a destination or a location (path
// template), and how that stands against the agents' own first meetings with new values. A domain
// new to one agent but used by half the fleet is an ordinary first meeting; one that no agent has
// ever used is rarer than that, and the novelty dimension says so, at its measured rate.
//
// The vocabulary is derived from the agents' own, exactly: a value counts for an agent once the
// agent has learned it (a value only sighted, judged unusual, does not: an attacker's domain reached
// by one hijacked agent must not make it ordinary for the next), from the agent's first sighting of
// it, until the agent forgets it or the agent leaves the learner. So it depends on which agents the
// learner holds, not on the order they were trained or restored in; it is not saved (restoring the
// agents rebuilds it), and on several nodes each node's is of its own agents.
//
// The rate. Every first meeting of an agent with a value after its warm-up is a sample: how many
// other agents had used the value before it (its rank among the value's users, by first use). For
// an event whose value is new (or still young) to its agent, with k other agents using it before
// the event, the fleet factor is P(rank <= k) over those samples: the chance that an ordinary first
// meeting finds the value at most this widespread. The novelty tail is the agent's rate of new
// values times that factor, P(new and at most this widespread), a tail like the others. With fewer
// than MIN_MEETINGS samples (one agent alone, a new fleet) the factor is 1.

/** What fleet prevalence is counted of. */
export type FleetKind = 'destination' | 'place';
export const FLEET_KINDS: readonly FleetKind[] = ['destination', 'place'];

/** Users remembered per value, earliest first; a value with more reads as used by at least this many. */
export const MAX_USERS = 32;
/** Ranks told apart in the first-meeting counts; higher ones are counted together. */
const RANKS = 8;
/** First meetings the fleet needs before prevalence judges. */
const MIN_MEETINGS = 20;

interface User {
  readonly agent: string;
  readonly firstMs: number;
  /** Whether this was a first meeting after the agent's warm-up (a sample of the rate). */
  readonly meeting: boolean;
}

interface KindState {
  readonly values: Map<string, User[]>;
  /** First meetings by rank (how many other agents used the value before), the last bucket RANKS or more. */
  readonly ranks: Float64Array;
  meetings: number;
}

const before = (a: User, b: User) => a.firstMs < b.firstMs || (a.firstMs === b.firstMs && a.agent < b.agent);

export class FleetVocabulary {
  private readonly kinds: Record<FleetKind, KindState> = {
    destination: { values: new Map(), ranks: new Float64Array(RANKS + 1), meetings: 0 },
    place: { values: new Map(), ranks: new Float64Array(RANKS + 1), meetings: 0 },
  };
  /** Agents with at least one value (for explanations: a fleet of one says nothing). */
  private readonly agents = new Map<string, number>();

  /** The agent uses `value` from `firstMs` on; `meeting` when that was a first meeting after its warm-up. */
  add(kind: FleetKind, value: string, agent: string, firstMs: number, meeting: boolean): void {
    const state = this.kinds[kind];
    // Again (its first sighting moved earlier): in its new place.
    this.remove(kind, value, agent);
    let users = state.values.get(value);
    if (users === undefined) {
      users = [];
      state.values.set(value, users);
    }
    const user: User = { agent, firstMs, meeting };
    let at = users.length;
    while (at > 0 && before(user, users[at - 1]!)) at--;
    if (at >= MAX_USERS) return;
    // Those after it now have one more user before them (one pushed past MAX_USERS is dropped).
    for (let i = users.length - 1; i >= at; i--) this.move(state, users[i]!, i, i + 1);
    users.splice(at, 0, user);
    if (meeting) this.count(state, at, 1);
    this.agents.set(agent, (this.agents.get(agent) ?? 0) + 1);
    if (users.length > MAX_USERS) this.release(users.pop()!.agent);
  }

  /** The agent no longer uses `value` (forgotten, or the agent left). */
  remove(kind: FleetKind, value: string, agent: string): void {
    const state = this.kinds[kind];
    const users = state.values.get(value);
    const at = users?.findIndex((u) => u.agent === agent) ?? -1;
    if (users === undefined || at < 0) return;
    const [user] = users.splice(at, 1);
    if (user!.meeting) this.count(state, at, -1);
    for (let i = at; i < users.length; i++) this.move(state, users[i]!, i + 1, i);
    if (users.length === 0) state.values.delete(value);
    this.release(agent);
  }

  /** How many agents other than `agent` used `value` before `ms` (at most {@link MAX_USERS}). */
  others(kind: FleetKind, value: string, agent: string, ms: number): number {
    const users = this.kinds[kind].values.get(value);
    if (users === undefined) return 0;
    let n = 0;
    for (const user of users) {
      if (user.firstMs >= ms) break;
      if (user.agent !== agent) n++;
    }
    return n;
  }

  /**
   * P(an ordinary first meeting finds its value used by at most `others` other agents), smoothed;
   * 1 while the fleet has fewer than MIN_MEETINGS first meetings.
   */
  factor(kind: FleetKind, others: number): number {
    const state = this.kinds[kind];
    if (state.meetings < MIN_MEETINGS) return 1;
    let atMost = 0;
    for (let rank = 0; rank <= Math.min(others, RANKS); rank++) atMost += state.ranks[rank]!;
    return Math.min(1, (atMost + 0.5) / (state.meetings + 1));
  }

  /** Agents with at least one value counted. */
  get agentCount(): number {
    return this.agents.size;
  }

  /** Values counted, per kind (for tests and footprints). */
  size(kind: FleetKind): number {
    return this.kinds[kind].values.size;
  }

  /** @internal The first meetings by rank (tests compare them with a recount). */
  meetingRanks(kind: FleetKind): readonly number[] {
    return [...this.kinds[kind].ranks];
  }

  /** @internal Every value's users, earliest first (tests recount the ranks from them). */
  *users(kind: FleetKind): Generator<[string, readonly User[]]> {
    yield* this.kinds[kind].values;
  }

  private move(state: KindState, user: User, from: number, to: number): void {
    if (!user.meeting) return;
    this.count(state, from, -1);
    if (to < MAX_USERS) this.count(state, to, 1);
  }

  /** One value fewer for the agent. */
  private release(agent: string): void {
    const left = (this.agents.get(agent) ?? 1) - 1;
    if (left > 0) this.agents.set(agent, left);
    else this.agents.delete(agent);
  }

  private count(state: KindState, rank: number, delta: number): void {
    state.ranks[Math.min(rank, RANKS)]! += delta;
    state.meetings += delta;
  }
}
