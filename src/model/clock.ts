/** Milliseconds since the epoch. Everything time-based takes one, so tests never sleep. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

/** A clock that moves only when told to: for tests and replays. */
export class ManualClock {
  constructor(private t: number) {}
  readonly now: Clock = () => this.t;
  set(t: number): void {
    this.t = t;
  }
  advance(ms: number): number {
    this.t += ms;
    return this.t;
  }
}

const DAY_MS = 86_400_000;
/** The last day asked for: records come in runs of the same day. */
let lastDay = { n: NaN, text: '' };

/** The UTC day of a time, `YYYY-MM-DD`: the day digest records are kept under. */
export function utcDay(t: number): string {
  const n = Math.floor(t / DAY_MS);
  if (n !== lastDay.n) lastDay = { n, text: new Date(n * DAY_MS).toISOString().slice(0, 10) };
  return lastDay.text;
}
