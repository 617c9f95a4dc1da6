/**
 * Every stable code a diagnostic, a finding or an error carries, in one place. A code is a
 * contract: scripts and tests branch on it, so it is spelled out here once, typed as {@link Code},
 * and documented in README.md's "Error and finding codes" table (test/codes.test.ts checks both
 * directions). `doc` is the one-line meaning; the README says it at more length.
 */
// One table per area: each code and its one-line meaning. One entry per line, so the table reads
// as a table (and prettier leaves long meanings on their line).
// prettier-ignore
const AREAS = {
  yaml: {
    YAML_SYNTAX: 'the YAML does not parse',
    YAML_DUPLICATE_KEY: 'a key repeated in one mapping, as Kubernetes reads keys',
    YAML_ALIAS_LIMIT: 'more than 50 expanded aliases',
    YAML_TOO_DEEP: 'nesting beyond 64 levels',
    YAML_TOO_LARGE: 'a file over 1 MiB',
    YAML_TOO_MANY_DOCUMENTS: 'more than 200 documents in one file',
    YAML_FORBIDDEN_KEY: 'a __proto__, constructor or prototype key',
    YAML_UNSUPPORTED: 'a value, tag, key or directive JSON cannot hold',
    YAML_MERGE_ORDER: 'a << merge key that is not the first key, or a second one',
  },
  spec: {
    SPEC_SCHEMA: 'a ModelRelease field violates the schema',
    SPEC_RESERVED_ANNOTATION: 'a reserved aviary.dev annotation is set',
    SPEC_RESERVED_LABEL: 'a reserved aviary.dev label is set',
    SPEC_DIGEST_MISMATCH: 'the OCI URI digest differs from `digest`',
    SPEC_CANARY_SAME_ARTIFACT: 'the canary is the stable artifact',
    SPEC_REPLICAS: 'minReplicas above maxReplicas',
    SPEC_SIGNATURE_PATH: 'a signature path escapes the repository or crosses a symlink',
    SPEC_SIGNATURE_MISSING: 'the signature file is missing',
    SPEC_SIGNATURE_INVALID: 'the signature file is not JSON',
    SPEC_SIGNATURE_UNREADABLE: 'the signature file cannot be read',
    SPEC_NO_RELEASES: 'the app folder holds no release',
    SPEC_DUPLICATE_OBJECT: 'two objects with one identity',
    SPEC_NOT_KUBERNETES_OBJECT: 'a document that is not a Kubernetes object',
    SPEC_NOT_AN_OBJECT: 'a document that is not a mapping',
    SPEC_SYMLINK: 'a symlinked manifest',
    SPEC_READ_FAILED: 'a file cannot be read',
    SPEC_PATH_ESCAPE: 'a path outside the tree',
    SPEC_INVALID: 'the content is not what the file must hold',
    SPEC_EVIDENCE_TOO_LARGE: 'evidence annotations over 256 KiB',
  },
  kserve: {
    KSERVE_NAME_INVALID: 'a name that is not a lower-case DNS label',
    KSERVE_NAME_TOO_LONG: 'a name that makes a host label over 63 characters',
    KSERVE_MODE_NONCANONICAL: 'a deployment mode other than Knative or Standard',
    KSERVE_PREDICTOR_MISSING: 'no spec.predictor object',
    KSERVE_IMPLEMENTATION_COUNT: 'not exactly one predictor implementation',
    KSERVE_STABLE_IMPL_NAME: 'the stable predictor implementation sets name',
    KSERVE_STORAGE_BOTH: 'storageUri and storageUris both set',
    KSERVE_REPLICAS: 'negative replicas, or min above max',
    KSERVE_PYTHONPATH: 'a PYTHONPATH env entry',
    KSERVE_CANARY_MODE: 'spec.canary outside Standard mode',
    KSERVE_CANARY_INVALID: 'spec.canary, an entry or its predictor in the wrong shape',
    KSERVE_CANARY_NAME: 'a canary predictor without a unique name',
    KSERVE_CANARY_FIELD: 'a canary sets a field only the stable predictor may',
    KSERVE_CANARY_REPLICAS: 'canary minReplicas above the stable minReplicas',
    KSERVE_TRAFFIC_RANGE: 'a traffic share outside 0–100',
    KSERVE_TRAFFIC_SUM: 'canary shares summing above 100',
    KSERVE_NOT_OBJECT: 'the InferenceService is not an object',
  },
  usage: {
    PARAM_INVALID: 'a plugin parameter is invalid',
    USAGE_INVALID: 'a command-line value is invalid',
  },
  pinning: {
    PIN_URI_NO_SCHEME: 'a model URI without a scheme',
    PIN_SCHEME_NOT_ALLOWED: 'a scheme the policy does not allow',
    PIN_PREFIX_NOT_ALLOWED: 'a location outside allowedPrefixes',
    PIN_URI_AMBIGUOUS: 'a URI that can read as another location',
    PIN_OCI_UNPINNED: 'an OCI artifact by tag',
    PIN_HF_UNPINNED: 'a Hugging Face model by branch',
    PIN_EVIDENCE_MISSING: 'no evidence digest for a scheme that needs one',
    PIN_DIGEST_MISMATCH: 'the evidence digest differs from the OCI digest',
    PIN_DIRECTORY_SLASH: 'an s3/gs directory without a trailing /',
  },
  images: {
    IMAGE_UNPINNED: 'an image by tag',
    IMAGE_INVALID: 'an image field that is not a reference',
    IMAGE_PREFIX_NOT_ALLOWED: 'an image outside allowedImagePrefixes',
  },
  object: {
    MODEL_URI_INVALID: 'a model location that is not a non-empty string',
    MODEL_LOCATION_CONFLICT: 'two model locations in one component',
    MODEL_LOCATION_UNKNOWN: 'a storage.path resolved by a cluster Secret',
    MODEL_LOCATION_OVERRIDE: 'an internal.serving.kserve.io/* key',
    OBJECT_UNINSPECTABLE: 'an object beyond the inspection limits',
    EVIDENCE_MALFORMED: 'aviary.dev/artifacts or aviary.dev/stable out of shape',
  },
  signatures: {
    SIG_MISSING: 'no signature bundle',
    SIG_EVIDENCE_MISSING: 'no digest to bind the signature to',
    SIG_NO_VERIFIER: 'the policy has no usable authority',
    SIG_DIGEST_MISMATCH: 'a valid signature for another digest',
    SIG_DIGEST_INVALID: 'a digest that is not sha256:<64 hex>',
    SIG_BUNDLE_MALFORMED: 'a bundle in the wrong shape',
    SIG_BUNDLE_UNSUPPORTED: 'a bundle version, digest or key not supported',
    SIG_BUNDLE_TOO_LARGE: 'a bundle over 1 MiB',
    SIG_MULTIPLE_SIGNATURES: 'a DSSE envelope with several signatures',
    SIG_INVALID: 'the signature or its chain does not verify',
    SIG_CERT_EXPIRED: 'a certificate outside its validity',
    SIG_CERT_CRITICAL_EXTENSION: 'a critical extension Aviary does not process',
    SIG_UNTRUSTED: 'no configured authority accepts the signer',
    SIG_STATEMENT_INVALID: 'the signed statement is not in a known shape',
    SIG_PREDICATE_NOT_ALLOWED: 'a predicate type the authority does not accept',
    SIG_INTERNAL_ERROR: 'an unexpected exception while verifying',
  },
  verifier: {
    SIG_CONFIG_INVALID: 'an authority cannot be built',
    SIG_REGEX_UNANCHORED: 'a subjectRegExp not anchored ^…$',
    SIG_CERT_ROOT_PUBLIC: 'a certificate root that is a public Sigstore CA',
  },
  canary: {
    CANARY_TRAFFIC_INVALID: 'a share that is not an integer 0–100',
    CANARY_ABOVE_MAX: 'a share above maxTrafficPercent',
    CANARY_STEP_NOT_ALLOWED: 'a share not in steps',
    CANARY_SUM_ABOVE_MAX: 'canaries together above the maximum',
    CANARY_INCREASE_TOO_LARGE: 'the same artifact grew more than maxIncrease',
    CANARY_REQUIRED: 'a new artifact took all traffic at once',
    STABLE_RECORD_UNKNOWN: 'an aviary.dev/stable that names no stable artifact',
    CANARY_ON_CREATE: 'a canary on a new InferenceService (a warning)',
  },
  policy: {
    POLICY_SCHEMA: 'a policy field violates the schema',
    POLICY_AUTHORITY_KIND: 'an authority without exactly one kind',
    POLICY_AUTHORITY_DUPLICATE: 'two authorities with one name',
    POLICY_AUTHORITY_INVALID: 'an authority that cannot be built',
    POLICY_KEYLESS_IDENTITY: 'a keyless authority without one identity',
    POLICY_CERTIFICATE_IDENTITY: 'a certificate authority without one identity',
    POLICY_NO_AUTHORITIES: 'required signatures without authorities',
    POLICY_STEPS_ABOVE_MAX: 'a step above maxTrafficPercent',
    POLICY_PREFIX_INVALID: 'an allowedPrefixes entry that is not a location',
    POLICY_IMAGE_PREFIX_INVALID: 'an allowedImagePrefixes entry out of shape',
    POLICY_DUPLICATE_NAME: 'two policies with one name',
    POLICY_READ_FAILED: 'policies cannot be read',
    POLICY_FILE_SKIPPED: 'a symlink out of the policy folder, not read (a warning)',
    POLICY_NONE: 'no ModelReleasePolicy found',
    POLICY_INVALID: 'the policy set cannot be loaded',
    POLICY_ENFORCES_NOTHING: 'a policy with no rule',
    POLICY_MATCH_EMPTY: 'an empty match, namespace list or selector',
    POLICY_SELECTOR_INVALID: 'a selector operator with the wrong values',
    POLICY_LABEL_INVALID: 'a label key or value Kubernetes refuses',
    POLICY_UNENFORCEABLE: 'a stored, invalid policy: what it may govern is refused',
    POLICY_SIGNATURES_NOT_REQUIRED: 'signatures without required: true (a warning)',
    POLICY_REGEX_UNANCHORED: 'a subjectRegExp not anchored ^…$',
    POLICY_REGEX_INVALID: 'a subjectRegExp RE2 cannot compile',
    POLICY_REGEX_MATCHES_ALL: 'a subjectRegExp that names no signer',
  },
  trust: {
    TRUST_ROOT_INVALID: 'a trusted root sigstore-js cannot use',
    TRUST_ROOT_READ_FAILED: 'a trusted root unreadable or over 1 MiB',
  },
  cli: {
    CHECK_NO_OBJECTS: 'check: nothing to evaluate',
    CHECK_NO_OLD_OBJECT: 'check: no old object of that name',
    TEST_SCHEMA: 'test: a malformed suite',
    TEST_NO_SUITES: 'test: no suites',
    TEST_NO_OBJECT: 'test: no governed object in a case file',
    TEST_NO_POLICIES: "test: the suite's policies load no policy",
    TEST_AMBIGUOUS_OBJECT: 'test: several governed objects in a case file',
    TEST_NAMESPACE_CONFLICT: "test: a case namespace other than the object's",
    VERIFY_NO_AUTHORITIES: 'verify: no authorities to verify with',
  },
  pin: {
    PIN_RELEASE_NOT_FOUND: 'pin: no ModelRelease of that name in the file',
    PIN_RELEASE_AMBIGUOUS: 'pin: several ModelReleases of that name in the file',
    PIN_FILE_UNREADABLE: 'pin: the release file cannot be read',
    PIN_EDIT_UNSUPPORTED: 'pin: the release cannot be edited in place',
    PIN_DIGEST_MISSING: 'pin: no digest source',
    PIN_DIGEST_CONFLICT: 'pin: two digest sources disagree',
    PIN_URI_UNREADABLE: "pin: a URI KServe's storage initializer cannot read in a cluster",
    PIN_SIGNATURE_UNREADABLE: 'pin: the bundle is missing, too large or not JSON',
    PIN_SIGNATURE_EXISTS: 'pin: another file already holds the bundle name in the repository',
    PIN_NO_AUTHORITIES: 'pin: no policy configures authorities to verify the bundle with',
    PIN_CANARY_RUNNING: 'pin: --stable while a canary serves traffic, without --force',
    PIN_DENIED: 'pin: the policies would deny the change as an UPDATE',
    MODEL_DIR_SYMLINK: 'pin: a symlink in the model folder',
    MODEL_DIR_UNREADABLE: 'pin: the model path is missing, empty, special or too large',
  },
  registry: {
    MLFLOW_REF_INVALID: 'pin: not models:/NAME/VERSION or models:/NAME@ALIAS',
    MLFLOW_NOT_FOUND: 'pin: MLflow knows no such model, version or alias',
    MLFLOW_NOT_READY: 'pin: the model version is not READY',
    MLFLOW_UNREACHABLE: 'pin: the registry cannot be reached',
    MLFLOW_TIMEOUT: 'pin: the registry went silent past the deadline',
    MLFLOW_UNAUTHORIZED: 'pin: the registry answered 401 or 403',
    MLFLOW_ERROR: 'pin: the registry answered another error',
    MLFLOW_BAD_RESPONSE: 'pin: the registry answered something unexpected',
    MLFLOW_RESPONSE_TOO_LARGE: 'pin: the registry answered more than 1 MiB',
  },
  git: {
    GIT_FAILED: 'analyze: a git command failed or timed out',
    GIT_NOT_A_WORK_TREE: 'analyze: the folder is not inside a git work tree',
    GIT_DETACHED: 'analyze: the checkout is on no branch (detached HEAD)',
    GIT_SHALLOW: 'analyze: the checkout is shallow; step starts and --at need full history',
    GIT_WORK_TREE_DIRTY: 'analyze: the release file has uncommitted changes',
    GIT_PUSH_REJECTED: 'analyze: the remote kept rejecting the push',
  },
  rollout: {
    ROLLOUT_SUPERSEDED: 'analyze: the release changed upstream; the decision was dropped',
    ROLLOUT_EDIT_UNSUPPORTED: 'analyze: the release cannot be edited in place',
  },
  analysis: {
    ANALYSIS_SCHEMA: 'a ModelAnalysis field violates the schema',
    ANALYSIS_TEMPLATE: 'an unknown template variable, or one outside a double-quoted string',
    ANALYSIS_QUERY: 'a query that is not valid PromQL',
    ANALYSIS_QUERY_AMBIGUOUS: 'a query returned more than one sample',
    ANALYSIS_NAMESPACE_UNKNOWN: 'a query needs {{namespace}} and the release has none',
    ANALYSIS_PATH: 'rollout.analysis escapes the repository, crosses a symlink or is missing',
  },
  prometheus: {
    PROMETHEUS_UNREACHABLE: 'analyze: Prometheus cannot be reached',
    PROMETHEUS_TIMEOUT: 'analyze: a query did not answer within the deadline',
    PROMETHEUS_HTTP: 'analyze: Prometheus answered an HTTP error or a redirect',
    PROMETHEUS_BAD_RESPONSE: 'analyze: an answer that is not a scalar or vector of float samples',
    PROMETHEUS_TOO_LARGE: 'analyze: an answer over the byte bound',
    PROMETHEUS_QUERY_REFUSED: 'analyze: Prometheus refused the query (bad_data, execution)',
  },
  render: {
    RENDER_OUT_UNSAFE: 'render --out: a folder it may not replace',
  },
  admission: {
    ADMISSION_REVIEW_INVALID: 'the body is not a JSON object',
    ADMISSION_API_VERSION: 'apiVersion is not admission.k8s.io/v1',
    ADMISSION_KIND: 'kind is not AdmissionReview',
    ADMISSION_REQUEST_MISSING: 'request is not an object',
    ADMISSION_UID: 'request.uid missing or over 256 characters',
    ADMISSION_OPERATION: 'request.operation is not a known operation',
    ADMISSION_REQUEST_KIND: 'request.kind is not {group, version, kind}',
    ADMISSION_REQUEST_INVALID: 'a request field of the wrong type',
    ADMISSION_OBJECT: 'request.object missing on a write',
    ADMISSION_OLD_OBJECT: 'request.oldObject missing on UPDATE',
    ADMISSION_NAMESPACE: 'no namespace for a namespaced kind',
  },
} as const;

type Area = keyof typeof AREAS;
type DeclaredIn<A extends Area> = keyof (typeof AREAS)[A] & string;
type Declared = { [A in Area]: DeclaredIn<A> }[Area];

const DECLARED = Object.fromEntries(
  Object.entries(AREAS).flatMap(([area, codes]) =>
    Object.entries(codes).map(([code, doc]) => [code, { area: area as Area, doc }]),
  ),
) as Record<Declared, { area: Area; doc: string }>;

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
