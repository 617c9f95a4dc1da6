import fc from 'fast-check';
import { GOOD_URIS } from './artifacts.js';

/** Draws for one generated object: choices through fast-check, and the locations placed in it. */
export class Draft {
  readonly uris = new Set<string>();
  constructor(
    private readonly g: fc.GeneratorValue,
    /** Clean drafts place only admissible locations and well-formed shapes. */
    readonly clean = false,
    readonly pool: readonly string[] = GOOD_URIS,
  ) {}

  pick<T>(values: readonly T[]): T {
    return values[this.g(fc.nat, { max: values.length - 1 })]!;
  }

  /** A number for seeding a shuffle. */
  seed(): number {
    return this.g(fc.nat);
  }

  /** True with the given percent chance (shrinks to false, so counterexamples shrink to less). */
  chance(percent: number): boolean {
    return this.g(fc.nat, { max: 99 }) >= 100 - percent;
  }

  /** A location from the pool, remembered for the evidence annotation. */
  uri(pool: readonly string[] = this.pool): string {
    const uri = this.pick(pool);
    this.uris.add(uri);
    return uri;
  }
}
