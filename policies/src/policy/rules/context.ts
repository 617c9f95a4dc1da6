import type { CodeIn } from '../../codes.js';
import type { Finding } from '../../finding.js';
import type { DeploymentMode } from '../../kserve/locations.js';
import type { ObjectView } from '../object-view.js';
import type { ModelReleasePolicy } from '../schema.js';
import type { Operation, VerifiedArtifact } from '../types.js';

/** What the engine asks of a signature verifier; the signature module provides the real one. */
export interface SignatureCheck {
  verify(
    bundle: unknown,
    digest: string,
  ):
    | { ok: true; authority: string; signer: string }
    | { ok: false; code: CodeIn<'signatures'>; message: string };
}

export interface RuleContext {
  policy: ModelReleasePolicy;
  policyName: string;
  view: ObjectView;
  oldView?: ObjectView;
  operation: Operation;
  /** A CREATE that may really be an UPDATE of an object the caller cannot see (the pre-flight). */
  existenceUnknown: boolean;
  /**
   * The deployment modes the decision must hold under: the object's own, else the cluster default
   * the policy states, else both.
   */
  modes: readonly DeploymentMode[];
  /** The verifier built for this policy's authorities; absent when the policy has none. */
  signatures?: SignatureCheck;
  /** Filled by the signature rule with what verified. */
  verified: VerifiedArtifact[];
}

export interface RuleFinding extends Finding {
  /** Advisory findings never deny, whatever the policy's mode. */
  advisory?: boolean;
}
