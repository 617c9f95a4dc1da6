import type { Finding } from '../finding.js';

/** How a policy acts on its findings: deny, allow with warnings, or allow and record. */
export type PolicyMode = 'enforce' | 'warn' | 'audit';
export type Operation = 'CREATE' | 'UPDATE';
/** `policy`: the policy itself could not be applied (see UnenforceablePolicy). */
export type RuleName = 'pinning' | 'signatures' | 'canary' | 'policy';

/** A finding attributed to the policy and rule that produced it. */
export interface PolicyFinding extends Finding {
  policy: string;
  rule: RuleName;
  mode: PolicyMode;
}

/** A signature that verified for an artifact during this decision. */
export interface VerifiedArtifact {
  uri: string;
  digest: string;
  authority: string;
  signer: string;
  policy: string;
}

export interface EvaluationInput {
  /** The InferenceService being admitted (untrusted). */
  object: unknown;
  /** The object before an UPDATE; absent on CREATE. */
  oldObject?: unknown;
  operation: Operation;
  /**
   * True when the caller cannot know whether the object exists yet (the plugin's pre-flight, which
   * sees no cluster): `operation` is then CREATE only because there is no old object, and the rules
   * that judge what a first revision does (the CREATE advisory, the stable record of a new
   * InferenceService) are left to admission.
   */
  existenceUnknown?: boolean;
  /**
   * Namespace of the request. Undefined when it cannot be known (the plugin's pre-flight for an
   * object that sets none, without a destination namespace): a `namespaces` list is then assumed
   * to match, erring on the side of checking, as for namespaceLabels.
   */
  namespace: string | undefined;
  /**
   * Labels of that namespace, for namespaceSelector matching. Undefined when they cannot be known
   * (the plugin's pre-flight): a namespaceSelector is then assumed to match, erring on the side of
   * checking.
   */
  namespaceLabels: Readonly<Record<string, string>> | undefined;
}

/**
 * The outcome for one object under every matching policy. The strictest outcome wins: any
 * finding from an enforce-mode policy denies.
 */
export interface Decision {
  allowed: boolean;
  /** Findings of enforce-mode policies: the reasons for a denial. */
  violations: PolicyFinding[];
  /** Findings of warn-mode policies, plus advisory findings (e.g. a canary on CREATE). */
  warnings: PolicyFinding[];
  /** Findings of audit-mode policies: recorded, never shown to the client. */
  audits: PolicyFinding[];
  /** Names of the policies that matched, sorted. */
  matched: string[];
  verified: VerifiedArtifact[];
}
