import { locationAmbiguity, withinPrefix } from '../../kserve/location.js';
import { hfCommit, ociDigest, uriScheme } from '../../kserve/uri.js';
import { EVIDENCE_PATHS, evidenceFindings } from '../object-view.js';
import type { RuleContext, RuleFinding } from './context.js';
import { imageFindings } from './images.js';
import { downloadedLocations, unreadable } from './readings.js';

/** Stores that list by prefix, where `…/m1` also downloads `…/m1-old/` (kserve/kserve#3776). */
const PREFIX_LISTING = new Set(['s3', 'gs']);

/**
 * Pinning: every location a pod downloads names immutable content. `oci` needs
 * `@sha256:<64 hex>`, `hf` a 40-hex commit; any other scheme needs a content digest in the
 * evidence annotation (whose signature the signature rule then binds).
 */
export function pinningRule(ctx: RuleContext): RuleFinding[] {
  const pinning = ctx.policy.spec.pinning;
  if (pinning === undefined) return [];
  const { view } = ctx;
  const out: RuleFinding[] = [...unreadable(ctx), ...evidenceFindings(view), ...imageFindings(ctx)];

  for (const { uri, path } of downloadedLocations(ctx)) {
    const scheme = uriScheme(uri);
    if (scheme === undefined) {
      out.push({
        code: 'PIN_URI_NO_SCHEME',
        path,
        message: `"${clip(uri)}" has no scheme (expected e.g. s3://, oci://, hf://)`,
      });
      continue;
    }
    if (pinning.allowedSchemes !== undefined && !pinning.allowedSchemes.includes(scheme)) {
      out.push({
        code: 'PIN_SCHEME_NOT_ALLOWED',
        path,
        message: `scheme "${scheme}" is not allowed; allowed: ${pinning.allowedSchemes.join(', ')}`,
      });
    }
    if (pinning.allowedPrefixes !== undefined) {
      const ambiguity = locationAmbiguity(uri);
      if (ambiguity !== undefined) {
        out.push({
          code: 'PIN_URI_AMBIGUOUS',
          path,
          message: `"${clip(uri)}" has ${ambiguity}: storage clients differ on where it points`,
        });
      } else if (!pinning.allowedPrefixes.some((p) => withinPrefix(uri, p))) {
        out.push({
          code: 'PIN_PREFIX_NOT_ALLOWED',
          path,
          message: `"${clip(uri)}" is outside the allowed locations`,
        });
      }
    }
    if (pinning.required === false) continue;
    const evidence = view.evidence.get(uri);
    if (scheme === 'oci' || scheme === 'oci+native') {
      const digest = ociDigest(uri);
      if (digest === undefined) {
        out.push({
          code: 'PIN_OCI_UNPINNED',
          path,
          message: `"${clip(uri)}" must be pinned as @sha256:<64 hex>, not by tag`,
        });
      } else if (evidence !== undefined && evidence.digest !== digest) {
        out.push({
          code: 'PIN_DIGEST_MISMATCH',
          path,
          message: `the evidence digest ${evidence.digest} differs from the URI's ${digest}`,
        });
      }
    } else if (scheme === 'hf') {
      if (hfCommit(uri) === undefined) {
        out.push({
          code: 'PIN_HF_UNPINNED',
          path,
          message: `"${clip(uri)}" must name a 40-hex commit (hf://org/model:<commit>)`,
        });
      }
    } else if (evidence === undefined) {
      out.push({
        code: 'PIN_EVIDENCE_MISSING',
        path,
        message: `"${clip(uri)}" is not content-addressed; its digest must be listed in ${EVIDENCE_PATHS.artifacts}`,
      });
    }
    if (
      PREFIX_LISTING.has(scheme) &&
      !uri.endsWith('/') &&
      !/\.[A-Za-z][A-Za-z0-9]{0,9}$/.test(uri)
    ) {
      out.push({
        code: 'PIN_DIRECTORY_SLASH',
        path,
        message: `directory URI "${clip(uri)}" must end with "/" or it also matches sibling prefixes`,
      });
    }
  }
  return out;
}

export function clip(s: string): string {
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}
