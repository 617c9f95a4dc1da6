import { ociDigest } from '../../kserve/uri.js';
import { EVIDENCE_PATHS, evidenceFindings } from '../object-view.js';
import type { RuleContext, RuleFinding } from './context.js';
import { downloadedLocations, unreadable } from './readings.js';
import { clip } from './pinning.js';

/**
 * Signatures: with `signatures.required`, every artifact the object names — each model URI and the
 * recorded stable artifact — must carry a bundle that verifies under one of the policy's
 * authorities for exactly the digest the object pins.
 */
export function signaturesRule(ctx: RuleContext): RuleFinding[] {
  const sig = ctx.policy.spec.signatures;
  if (sig?.required !== true) return [];
  const { view } = ctx;
  const out: RuleFinding[] = [...unreadable(ctx), ...evidenceFindings(view)];
  if (view.stableProblem) out.push({ ...view.stableProblem, path: EVIDENCE_PATHS.stable });
  if (out.length > 0) return out;
  const targets = new Map<string, string>();
  for (const l of downloadedLocations(ctx)) if (!targets.has(l.uri)) targets.set(l.uri, l.path);
  if (view.stable && !targets.has(view.stable.uri))
    targets.set(view.stable.uri, EVIDENCE_PATHS.stable);

  for (const [uri, path] of targets) {
    const evidence = view.evidence.get(uri);
    const pinned = ociDigest(uri);
    const digest = pinned ?? evidence?.digest;
    if (digest === undefined) {
      out.push({
        code: 'SIG_EVIDENCE_MISSING',
        path,
        message: `no digest for "${clip(uri)}" in ${EVIDENCE_PATHS.artifacts}`,
      });
      continue;
    }
    if (pinned !== undefined && evidence !== undefined && evidence.digest !== pinned) {
      out.push({
        code: 'SIG_DIGEST_MISMATCH',
        path,
        message: `the evidence digest ${evidence.digest} differs from the URI's ${pinned}`,
      });
      continue;
    }
    if (path === EVIDENCE_PATHS.stable && view.stable && view.stable.digest !== digest) {
      out.push({
        code: 'SIG_DIGEST_MISMATCH',
        path,
        message: `the stable record's digest differs from the evidence digest ${digest}`,
      });
      continue;
    }
    if (evidence?.bundle === undefined) {
      out.push({
        code: 'SIG_MISSING',
        path,
        message: `"${clip(uri)}" carries no signature bundle`,
      });
      continue;
    }
    if (ctx.signatures === undefined) {
      out.push({ code: 'SIG_NO_VERIFIER', path, message: 'the policy has no usable authorities' });
      continue;
    }
    const result = ctx.signatures.verify(evidence.bundle, digest);
    if (result.ok) {
      ctx.verified.push({
        uri,
        digest,
        authority: result.authority,
        signer: result.signer,
        policy: ctx.policyName,
      });
    } else {
      out.push({ code: result.code, path, message: `"${clip(uri)}": ${result.message}` });
    }
  }
  return out;
}
