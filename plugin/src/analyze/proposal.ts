import { promote, setTraffic } from './edit.js';
import type { FoundRelease } from './releases.js';

/**
 * The file as it reads after a decision: a step or a rollback changes `canary.traffic` alone, a
 * promotion moves the canary's record to the stable and removes the canary. Every other byte of
 * the file stays as it was (comments and layout are the people's, not the analyzer's).
 */
export function proposedText(
  found: FoundRelease,
  decision: 'step' | 'promote' | 'rollback',
  to: number,
): string {
  return decision === 'promote'
    ? promote(found.text, found.index)
    : setTraffic(found.text, found.index, to);
}
