/**
 * Facts about KServe storage URIs: which forms pin an immutable artifact by themselves.
 * Pure string functions; no I/O.
 */

const OCI_DIGEST = /^oci(\+native)?:\/\/[^@\s]+@(sha256:[0-9a-f]{64})$/;
const HF_COMMIT = /^hf:\/\/[^/\s:]+\/[^/\s:]+:([0-9a-f]{40})$/;

/** The scheme of a URI (`s3`, `oci+native`, ...) or undefined when it has none. */
export function uriScheme(uri: string): string | undefined {
  const m = /^([a-z][a-z0-9+.-]{0,31}):\/\//.exec(uri);
  return m?.[1];
}

/** The `sha256:<hex>` an `oci://` or `oci+native://` URI is pinned to, if any. */
export function ociDigest(uri: string): string | undefined {
  return OCI_DIGEST.exec(uri)?.[2];
}

/** The 40-hex commit an `hf://org/model:<commit>` URI is pinned to, if any. */
export function hfCommit(uri: string): string | undefined {
  return HF_COMMIT.exec(uri)?.[1];
}
