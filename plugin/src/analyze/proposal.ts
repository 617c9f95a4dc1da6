import { promote, setTraffic } from './edit.js';

/** A decision's edit of a release file: applied to the text at a commit, to the release's document. */
export type ReleaseEdit = (text: string, docIndex: number) => string;

/**
 * What a decision writes: a step or a rollback changes `canary.traffic` alone, a promotion moves
 * the canary's record to the stable and removes the canary. Every other byte of the file stays as
 * it was (comments and layout are the people's, not the analyzer's).
 */
export function editFor(decision: 'step' | 'promote' | 'rollback', to: number): ReleaseEdit {
  return decision === 'promote'
    ? (text, index) => promote(text, index)
    : (text, index) => setTraffic(text, index, to);
}
