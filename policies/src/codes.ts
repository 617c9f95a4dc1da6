/**
 * Every stable code a diagnostic, a finding or an error carries, in one place. A code is a
 * contract: scripts and tests branch on it, so it is spelled out here once, typed as {@link Code},
 * and documented in README.md's "Error and finding codes" table (test/codes.test.ts checks both
 * directions). `doc` is the one-line meaning; the README says it at more length.
 */
type Area =
  | 'yaml'
  | 'spec'
  | 'kserve'
  | 'usage'
  | 'pinning'
  | 'images'
  | 'object'
  | 'signatures'
  | 'verifier'
  | 'canary'
  | 'policy'
  | 'trust'
  | 'cli'
  | 'admission';

const DECLARED = {
  YAML_SYNTAX: { area: 'yaml', doc: 'the YAML does not parse' },
  YAML_DUPLICATE_KEY: {
    area: 'yaml',
    doc: 'a key repeated in one mapping, as Kubernetes reads keys',
  },
  YAML_ALIAS_LIMIT: { area: 'yaml', doc: 'more than 50 expanded aliases' },
  YAML_TOO_DEEP: { area: 'yaml', doc: 'nesting beyond 64 levels' },
  YAML_TOO_LARGE: { area: 'yaml', doc: 'a file over 1 MiB' },
  YAML_TOO_MANY_DOCUMENTS: { area: 'yaml', doc: 'more than 200 documents in one file' },
  YAML_FORBIDDEN_KEY: { area: 'yaml', doc: 'a __proto__, constructor or prototype key' },
  YAML_UNSUPPORTED: { area: 'yaml', doc: 'a value, tag, key or directive JSON cannot hold' },
  YAML_MERGE_ORDER: {
    area: 'yaml',
    doc: 'a << merge key that is not the first key, or a second one',
  },

  SPEC_SCHEMA: { area: 'spec', doc: 'a ModelRelease field violates the schema' },
  SPEC_RESERVED_ANNOTATION: { area: 'spec', doc: 'a reserved aviary.dev annotation is set' },
  SPEC_DIGEST_MISMATCH: { area: 'spec', doc: 'the OCI URI digest differs from `digest`' },
  SPEC_CANARY_SAME_ARTIFACT: { area: 'spec', doc: 'the canary is the stable artifact' },
  SPEC_REPLICAS: { area: 'spec', doc: 'minReplicas above maxReplicas' },
  SPEC_SIGNATURE_PATH: {
    area: 'spec',
    doc: 'a signature path escapes the repository or crosses a symlink',
  },
  SPEC_SIGNATURE_MISSING: { area: 'spec', doc: 'the signature file is missing' },
  SPEC_SIGNATURE_INVALID: { area: 'spec', doc: 'the signature file is not JSON' },
  SPEC_SIGNATURE_UNREADABLE: { area: 'spec', doc: 'the signature file cannot be read' },
  SPEC_NO_RELEASES: { area: 'spec', doc: 'the app folder holds no release' },
  SPEC_DUPLICATE_OBJECT: { area: 'spec', doc: 'two objects with one identity' },
  SPEC_NOT_KUBERNETES_OBJECT: { area: 'spec', doc: 'a document that is not a Kubernetes object' },
  SPEC_NOT_AN_OBJECT: { area: 'spec', doc: 'a document that is not a mapping' },
  SPEC_SYMLINK: { area: 'spec', doc: 'a symlinked manifest' },
  SPEC_READ_FAILED: { area: 'spec', doc: 'a file cannot be read' },
  SPEC_PATH_ESCAPE: { area: 'spec', doc: 'a path outside the tree' },
  SPEC_INVALID: { area: 'spec', doc: 'the content is not what the file must hold' },
  SPEC_EVIDENCE_TOO_LARGE: { area: 'spec', doc: 'evidence annotations over 256 KiB' },

  KSERVE_NAME_INVALID: { area: 'kserve', doc: 'a name that is not a lower-case DNS label' },
  KSERVE_NAME_TOO_LONG: {
    area: 'kserve',
    doc: 'a name that makes a host label over 63 characters',
  },
  KSERVE_MODE_NONCANONICAL: {
    area: 'kserve',
    doc: 'a deployment mode other than Knative or Standard',
  },
  KSERVE_PREDICTOR_MISSING: { area: 'kserve', doc: 'no spec.predictor object' },
  KSERVE_IMPLEMENTATION_COUNT: { area: 'kserve', doc: 'not exactly one predictor implementation' },
  KSERVE_STABLE_IMPL_NAME: { area: 'kserve', doc: 'the stable predictor implementation sets name' },
  KSERVE_STORAGE_BOTH: { area: 'kserve', doc: 'storageUri and storageUris both set' },
  KSERVE_REPLICAS: { area: 'kserve', doc: 'negative replicas, or min above max' },
  KSERVE_PYTHONPATH: { area: 'kserve', doc: 'a PYTHONPATH env entry' },
  KSERVE_CANARY_MODE: { area: 'kserve', doc: 'spec.canary outside Standard mode' },
  KSERVE_CANARY_INVALID: {
    area: 'kserve',
    doc: 'spec.canary, an entry or its predictor in the wrong shape',
  },
  KSERVE_CANARY_NAME: { area: 'kserve', doc: 'a canary predictor without a unique name' },
  KSERVE_CANARY_FIELD: {
    area: 'kserve',
    doc: 'a canary sets a field only the stable predictor may',
  },
  KSERVE_CANARY_REPLICAS: {
    area: 'kserve',
    doc: 'canary minReplicas above the stable minReplicas',
  },
  KSERVE_TRAFFIC_RANGE: { area: 'kserve', doc: 'a traffic share outside 0–100' },
  KSERVE_TRAFFIC_SUM: { area: 'kserve', doc: 'canary shares summing above 100' },
  KSERVE_NOT_OBJECT: { area: 'kserve', doc: 'the InferenceService is not an object' },

  PARAM_INVALID: { area: 'usage', doc: 'a plugin parameter is invalid' },
  USAGE_INVALID: { area: 'usage', doc: 'a command-line value is invalid' },

  PIN_URI_NO_SCHEME: { area: 'pinning', doc: 'a model URI without a scheme' },
  PIN_SCHEME_NOT_ALLOWED: { area: 'pinning', doc: 'a scheme the policy does not allow' },
  PIN_PREFIX_NOT_ALLOWED: { area: 'pinning', doc: 'a location outside allowedPrefixes' },
  PIN_URI_AMBIGUOUS: { area: 'pinning', doc: 'a URI that can read as another location' },
  PIN_OCI_UNPINNED: { area: 'pinning', doc: 'an OCI artifact by tag' },
  PIN_HF_UNPINNED: { area: 'pinning', doc: 'a Hugging Face model by branch' },
  PIN_EVIDENCE_MISSING: { area: 'pinning', doc: 'no evidence digest for a scheme that needs one' },
  PIN_DIGEST_MISMATCH: { area: 'pinning', doc: 'the evidence digest differs from the OCI digest' },
  PIN_DIRECTORY_SLASH: { area: 'pinning', doc: 'an s3/gs directory without a trailing /' },

  IMAGE_UNPINNED: { area: 'images', doc: 'an image by tag' },
  IMAGE_INVALID: { area: 'images', doc: 'an image field that is not a reference' },
  IMAGE_PREFIX_NOT_ALLOWED: { area: 'images', doc: 'an image outside allowedImagePrefixes' },

  MODEL_URI_INVALID: { area: 'object', doc: 'a model location that is not a non-empty string' },
  MODEL_LOCATION_CONFLICT: { area: 'object', doc: 'two model locations in one component' },
  MODEL_LOCATION_UNKNOWN: { area: 'object', doc: 'a storage.path resolved by a cluster Secret' },
  MODEL_LOCATION_OVERRIDE: { area: 'object', doc: 'an internal.serving.kserve.io/* key' },
  OBJECT_UNINSPECTABLE: { area: 'object', doc: 'an object beyond the inspection limits' },
  EVIDENCE_MALFORMED: {
    area: 'object',
    doc: 'aviary.dev/artifacts or aviary.dev/stable out of shape',
  },

  SIG_MISSING: { area: 'signatures', doc: 'no signature bundle' },
  SIG_EVIDENCE_MISSING: { area: 'signatures', doc: 'no digest to bind the signature to' },
  SIG_NO_VERIFIER: { area: 'signatures', doc: 'the policy has no usable authority' },
  SIG_DIGEST_MISMATCH: { area: 'signatures', doc: 'a valid signature for another digest' },
  SIG_DIGEST_INVALID: { area: 'signatures', doc: 'a digest that is not sha256:<64 hex>' },
  SIG_BUNDLE_MALFORMED: { area: 'signatures', doc: 'a bundle in the wrong shape' },
  SIG_BUNDLE_UNSUPPORTED: {
    area: 'signatures',
    doc: 'a bundle version, digest or key not supported',
  },
  SIG_BUNDLE_TOO_LARGE: { area: 'signatures', doc: 'a bundle over 1 MiB' },
  SIG_MULTIPLE_SIGNATURES: { area: 'signatures', doc: 'a DSSE envelope with several signatures' },
  SIG_INVALID: { area: 'signatures', doc: 'the signature or its chain does not verify' },
  SIG_CERT_EXPIRED: { area: 'signatures', doc: 'a certificate outside its validity' },
  SIG_CERT_CRITICAL_EXTENSION: {
    area: 'signatures',
    doc: 'a critical extension Aviary does not process',
  },
  SIG_UNTRUSTED: { area: 'signatures', doc: 'no configured authority accepts the signer' },
  SIG_STATEMENT_INVALID: {
    area: 'signatures',
    doc: 'the signed statement is not in a known shape',
  },
  SIG_PREDICATE_NOT_ALLOWED: {
    area: 'signatures',
    doc: 'a predicate type the authority does not accept',
  },
  SIG_INTERNAL_ERROR: { area: 'signatures', doc: 'an unexpected exception while verifying' },

  SIG_CONFIG_INVALID: { area: 'verifier', doc: 'an authority cannot be built' },
  SIG_REGEX_UNANCHORED: { area: 'verifier', doc: 'a subjectRegExp not anchored ^…$' },
  SIG_CERT_ROOT_PUBLIC: {
    area: 'verifier',
    doc: 'a certificate root that is a public Sigstore CA',
  },

  CANARY_TRAFFIC_INVALID: { area: 'canary', doc: 'a share that is not an integer 0–100' },
  CANARY_ABOVE_MAX: { area: 'canary', doc: 'a share above maxTrafficPercent' },
  CANARY_STEP_NOT_ALLOWED: { area: 'canary', doc: 'a share not in steps' },
  CANARY_SUM_ABOVE_MAX: { area: 'canary', doc: 'canaries together above the maximum' },
  CANARY_INCREASE_TOO_LARGE: {
    area: 'canary',
    doc: 'the same artifact grew more than maxIncrease',
  },
  CANARY_REQUIRED: { area: 'canary', doc: 'a new artifact took all traffic at once' },
  STABLE_RECORD_UNKNOWN: {
    area: 'canary',
    doc: 'an aviary.dev/stable that names no stable artifact',
  },
  CANARY_ON_CREATE: { area: 'canary', doc: 'a canary on a new InferenceService (a warning)' },

  POLICY_SCHEMA: { area: 'policy', doc: 'a policy field violates the schema' },
  POLICY_AUTHORITY_KIND: { area: 'policy', doc: 'an authority without exactly one kind' },
  POLICY_AUTHORITY_DUPLICATE: { area: 'policy', doc: 'two authorities with one name' },
  POLICY_AUTHORITY_INVALID: { area: 'policy', doc: 'an authority that cannot be built' },
  POLICY_KEYLESS_IDENTITY: { area: 'policy', doc: 'a keyless authority without one identity' },
  POLICY_CERTIFICATE_IDENTITY: {
    area: 'policy',
    doc: 'a certificate authority without one identity',
  },
  POLICY_NO_AUTHORITIES: { area: 'policy', doc: 'required signatures without authorities' },
  POLICY_STEPS_ABOVE_MAX: { area: 'policy', doc: 'a step above maxTrafficPercent' },
  POLICY_PREFIX_INVALID: { area: 'policy', doc: 'an allowedPrefixes entry that is not a location' },
  POLICY_IMAGE_PREFIX_INVALID: {
    area: 'policy',
    doc: 'an allowedImagePrefixes entry out of shape',
  },
  POLICY_DUPLICATE_NAME: { area: 'policy', doc: 'two policies with one name' },
  POLICY_READ_FAILED: { area: 'policy', doc: 'policies cannot be read' },
  POLICY_NONE: { area: 'policy', doc: 'no ModelReleasePolicy found' },
  POLICY_INVALID: { area: 'policy', doc: 'the policy set cannot be loaded' },
  POLICY_ENFORCES_NOTHING: { area: 'policy', doc: 'a policy with no rule' },
  POLICY_MATCH_EMPTY: { area: 'policy', doc: 'an empty match, namespace list or selector' },
  POLICY_SELECTOR_INVALID: { area: 'policy', doc: 'a selector operator with the wrong values' },
  POLICY_LABEL_INVALID: { area: 'policy', doc: 'a label key or value Kubernetes refuses' },
  POLICY_UNENFORCEABLE: {
    area: 'policy',
    doc: 'a stored, invalid policy: what it may govern is refused',
  },
  POLICY_SIGNATURES_NOT_REQUIRED: {
    area: 'policy',
    doc: 'signatures without required: true (a warning)',
  },
  POLICY_REGEX_UNANCHORED: { area: 'policy', doc: 'a subjectRegExp not anchored ^…$' },
  POLICY_REGEX_INVALID: { area: 'policy', doc: 'a subjectRegExp RE2 cannot compile' },
  POLICY_REGEX_MATCHES_ALL: { area: 'policy', doc: 'a subjectRegExp that names no signer' },

  TRUST_ROOT_INVALID: { area: 'trust', doc: 'a trusted root sigstore-js cannot use' },
  TRUST_ROOT_READ_FAILED: { area: 'trust', doc: 'a trusted root unreadable or over 1 MiB' },

  CHECK_NO_OBJECTS: { area: 'cli', doc: 'check: nothing to evaluate' },
  CHECK_NO_OLD_OBJECT: { area: 'cli', doc: 'check: no old object of that name' },
  TEST_SCHEMA: { area: 'cli', doc: 'test: a malformed suite' },
  TEST_NO_SUITES: { area: 'cli', doc: 'test: no suites' },
  TEST_NO_OBJECT: { area: 'cli', doc: 'test: no governed object in a case file' },
  TEST_NO_POLICIES: { area: 'cli', doc: "test: the suite's policies load no policy" },
  TEST_AMBIGUOUS_OBJECT: { area: 'cli', doc: 'test: several governed objects in a case file' },
  TEST_NAMESPACE_CONFLICT: { area: 'cli', doc: "test: a case namespace other than the object's" },
  VERIFY_NO_AUTHORITIES: { area: 'cli', doc: 'verify: no authorities to verify with' },

  ADMISSION_REVIEW_INVALID: { area: 'admission', doc: 'the body is not a JSON object' },
  ADMISSION_API_VERSION: { area: 'admission', doc: 'apiVersion is not admission.k8s.io/v1' },
  ADMISSION_KIND: { area: 'admission', doc: 'kind is not AdmissionReview' },
  ADMISSION_REQUEST_MISSING: { area: 'admission', doc: 'request is not an object' },
  ADMISSION_UID: { area: 'admission', doc: 'request.uid missing or over 256 characters' },
  ADMISSION_OPERATION: { area: 'admission', doc: 'request.operation is not a known operation' },
  ADMISSION_REQUEST_KIND: { area: 'admission', doc: 'request.kind is not {group, version, kind}' },
  ADMISSION_REQUEST_INVALID: { area: 'admission', doc: 'a request field of the wrong type' },
  ADMISSION_OBJECT: { area: 'admission', doc: 'request.object missing on a write' },
  ADMISSION_OLD_OBJECT: { area: 'admission', doc: 'request.oldObject missing on UPDATE' },
  ADMISSION_NAMESPACE: { area: 'admission', doc: 'no namespace for a namespaced kind' },
} as const satisfies Record<string, { area: Area; doc: string }>;

type Declared = keyof typeof DECLARED;
type DeclaredIn<A extends Area> = {
  [K in Declared]: (typeof DECLARED)[K]['area'] extends A ? K : never;
}[Declared];

/** A KServe rule's code as the plugin reports it for a rendered object. */
export const SPEC_KSERVE_CODE = {
  KSERVE_NAME_INVALID: 'SPEC_KSERVE_NAME_INVALID',
  KSERVE_NAME_TOO_LONG: 'SPEC_KSERVE_NAME_TOO_LONG',
  KSERVE_MODE_NONCANONICAL: 'SPEC_KSERVE_MODE_NONCANONICAL',
  KSERVE_PREDICTOR_MISSING: 'SPEC_KSERVE_PREDICTOR_MISSING',
  KSERVE_IMPLEMENTATION_COUNT: 'SPEC_KSERVE_IMPLEMENTATION_COUNT',
  KSERVE_STABLE_IMPL_NAME: 'SPEC_KSERVE_STABLE_IMPL_NAME',
  KSERVE_STORAGE_BOTH: 'SPEC_KSERVE_STORAGE_BOTH',
  KSERVE_REPLICAS: 'SPEC_KSERVE_REPLICAS',
  KSERVE_PYTHONPATH: 'SPEC_KSERVE_PYTHONPATH',
  KSERVE_CANARY_MODE: 'SPEC_KSERVE_CANARY_MODE',
  KSERVE_CANARY_INVALID: 'SPEC_KSERVE_CANARY_INVALID',
  KSERVE_CANARY_NAME: 'SPEC_KSERVE_CANARY_NAME',
  KSERVE_CANARY_FIELD: 'SPEC_KSERVE_CANARY_FIELD',
  KSERVE_CANARY_REPLICAS: 'SPEC_KSERVE_CANARY_REPLICAS',
  KSERVE_TRAFFIC_RANGE: 'SPEC_KSERVE_TRAFFIC_RANGE',
  KSERVE_TRAFFIC_SUM: 'SPEC_KSERVE_TRAFFIC_SUM',
  KSERVE_NOT_OBJECT: 'SPEC_KSERVE_NOT_OBJECT',
} as const satisfies { [K in DeclaredIn<'kserve'>]: `SPEC_${K}` };

/** A verifier set-up error as a policy load reports it, at the policy's position. */
export const POLICY_SIG_CODE = {
  SIG_CONFIG_INVALID: 'POLICY_SIG_CONFIG_INVALID',
  SIG_REGEX_UNANCHORED: 'POLICY_SIG_REGEX_UNANCHORED',
  SIG_CERT_ROOT_PUBLIC: 'POLICY_SIG_CERT_ROOT_PUBLIC',
} as const satisfies { [K in DeclaredIn<'verifier'>]: `POLICY_${K}` };

type SpecKserveCode = (typeof SPEC_KSERVE_CODE)[keyof typeof SPEC_KSERVE_CODE];
type PolicySigCode = (typeof POLICY_SIG_CODE)[keyof typeof POLICY_SIG_CODE];

/** Every code Aviary emits. A typo in a code literal fails typecheck. */
export type Code = Declared | SpecKserveCode | PolicySigCode;

/** The codes of one area, e.g. `CodeIn<'kserve'>`. */
export type CodeIn<A extends Area> =
  | DeclaredIn<A>
  | ('spec' extends A ? SpecKserveCode : never)
  | ('policy' extends A ? PolicySigCode : never);

/** Codes that report another code at another place: the doc line names the original. */
function reported<K extends Declared, C extends Code>(
  map: Readonly<Record<K, C>>,
  area: Area,
  where: string,
): Record<C, { area: Area; doc: string }> {
  const out = {} as Record<C, { area: Area; doc: string }>;
  for (const [from, to] of Object.entries(map) as [K, C][])
    out[to] = { area, doc: `${from} ${where}: ${DECLARED[from].doc}` };
  return out;
}

/** The registry: every code with its area and one-line meaning. */
export const CODES: Readonly<Record<Code, { readonly area: Area; readonly doc: string }>> = {
  ...DECLARED,
  ...reported(SPEC_KSERVE_CODE, 'spec', 'in the object the plugin rendered'),
  ...reported(POLICY_SIG_CODE, 'policy', "at the policy's position"),
};
