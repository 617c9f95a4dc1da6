import { imagePinned, parseImage, withinImagePrefix } from '../../kserve/image.js';
import type { RuleContext, RuleFinding } from './context.js';
import { clip } from './pinning.js';

/**
 * Images, part of pinning: with `pinning.images` every image a pod pulls is pinned by digest (a
 * custom container's image *is* the model when it bakes one in, and a runtime's image executes
 * every model), and with `allowedImagePrefixes` it comes from an approved repository. Whether the
 * image is signed is left to an image policy engine.
 */
export function imageFindings(ctx: RuleContext): RuleFinding[] {
  const pinning = ctx.policy.spec.pinning;
  if (pinning === undefined || (pinning.images !== true && !pinning.allowedImagePrefixes))
    return [];
  const { images, problems } = ctx.view.images;
  const out: RuleFinding[] = [...problems];
  for (const { path, ref } of images) {
    if (parseImage(ref) === undefined) {
      out.push({
        code: 'IMAGE_INVALID',
        path,
        message: `"${clip(ref)}" is not an image reference`,
      });
      continue;
    }
    if (pinning.images === true && !imagePinned(ref))
      out.push({
        code: 'IMAGE_UNPINNED',
        path,
        message: `"${clip(ref)}" must be pinned as name@sha256:<64 hex>, not by tag`,
      });
    const prefixes = pinning.allowedImagePrefixes;
    if (prefixes !== undefined && !prefixes.some((p) => withinImagePrefix(ref, p)))
      out.push({
        code: 'IMAGE_PREFIX_NOT_ALLOWED',
        path,
        message: `"${clip(ref)}" is outside the allowed image repositories`,
      });
  }
  return out;
}
