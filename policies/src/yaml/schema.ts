import type { DocumentOptions, ParseOptions, ScalarTag, SchemaOptions } from 'yaml';
import { mapTag, seqTag, stringTag, stringifyNumber } from 'yaml/util';

/**
 * How Kubernetes reads a plain (unquoted, untagged) scalar. kubectl and Argo CD decode manifests
 * with sigs.k8s.io/yaml, which runs go-yaml v2: YAML 1.1 booleans and octal, but with its own
 * number syntax (Go's strconv after dropping every `_`), no sexagesimal numbers and dates kept as
 * text. The `yaml` library's own 1.1 schema differs in those corners, so these tags restate the
 * go-yaml rules; the facts behind them are in README.md next to this file. Other YAML 1.1 tags
 * (binary, timestamp, set, omap, pairs) are deliberately absent: they have no JSON meaning.
 */

const INT = 'tag:yaml.org,2002:int';
const FLOAT = 'tag:yaml.org,2002:float';

// Go's ParseInt/ParseUint with base 0, on the text with underscores removed: a sign, then 0x, 0o,
// 0b (either case), a leading-zero octal, or decimal. `_*` may sit anywhere after the first
// character, because go-yaml deletes underscores before parsing but looks at the first
// character (digit or sign) to decide whether to try a number at all.
const SIGN = '(?:[-+]_*)?';
export const GO_INT = new RegExp(
  `^${SIGN}(?:0_*[xX]_*[0-9a-fA-F][0-9a-fA-F_]*|0_*[oO]_*[0-7][0-7_]*|0_*[bB]_*[01][01_]*|0[0-7_]*|[1-9][0-9_]*)$`,
);

// go-yaml's float pattern on the underscore-free text when the scalar starts with a digit or a
// sign, or Go's ParseFloat on the raw text when it starts with a dot (no underscores allowed).
const MANTISSA = '(?:[0-9][0-9_]*(?:\\.[0-9_]*)?)';
const EXPONENT = '(?:[eE]_*(?:[-+]_*)?[0-9][0-9_]*)?';
const GO_FLOAT = new RegExp(
  `^(?:(?:[-+]_*(?:\\._*[0-9][0-9_]*|${MANTISSA})|${MANTISSA})${EXPONENT}|\\.[0-9]+(?:[eE][-+]?[0-9]+)?)$`,
);

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * The integer go-yaml reads. Beyond ±(2^53 − 1) it stays a bigint: a JavaScript number would round
 * it, and the rounded value re-emitted would mean another number to Kubernetes.
 */
function goInt(text: string): number | bigint {
  const s = text.replace(/_/g, '');
  const negative = s.startsWith('-');
  const body = /^[-+]/.test(s) ? s.slice(1) : s;
  // A leading zero means octal in Go (and YAML 1.1); BigInt() spells that 0o.
  const magnitude = BigInt(/^0[0-7]+$/.test(body) ? `0o${body.slice(1)}` : body);
  const n = negative ? -magnitude : magnitude;
  return n >= -SAFE && n <= SAFE ? Number(n) : n;
}

const intTag: ScalarTag = {
  identify: (v) => typeof v === 'bigint' || Number.isInteger(v),
  default: true,
  tag: INT,
  test: GO_INT,
  resolve: goInt,
  stringify: stringifyNumber,
};

const floatTag: ScalarTag = {
  identify: (v) => typeof v === 'number',
  default: true,
  tag: FLOAT,
  test: GO_FLOAT,
  // Overflow gives Infinity, which the parser then refuses (go-yaml would keep such text a string).
  resolve: (text) => Number(text.replace(/_/g, '')),
  stringify: stringifyNumber,
};

/** go-yaml's fixed words: exactly these spellings, nothing case-folded. */
const nanTag: ScalarTag = {
  default: true,
  tag: FLOAT,
  test: /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
  resolve: (text) =>
    /nan$/i.test(text) ? NaN : text.startsWith('-') ? -Infinity : Number.POSITIVE_INFINITY,
};

/** A boolean written in one of go-yaml's spellings: exactly these, nothing case-folded. */
function boolTag(value: boolean, words: RegExp): ScalarTag {
  return {
    identify: (v) => v === value,
    default: true,
    tag: 'tag:yaml.org,2002:bool',
    test: words,
    resolve: () => value,
    stringify: () => String(value),
  };
}
const trueTag = boolTag(true, /^(?:y|Y|yes|Yes|YES|true|True|TRUE|on|On|ON)$/);
const falseTag = boolTag(false, /^(?:n|N|no|No|NO|false|False|FALSE|off|Off|OFF)$/);

const nullTag: ScalarTag = {
  identify: (v) => v === null || v === undefined,
  default: true,
  tag: 'tag:yaml.org,2002:null',
  test: /^(?:~|null|Null|NULL)?$/,
  resolve: () => null,
  stringify: () => 'null',
};

/**
 * Never used to read; only makes the writer quote text that the YAML 1.1 spec (not go-yaml) reads
 * as a timestamp or a base-60 number. The library's own 1.1 timestamp tag would do, but it is a
 * shared object other code can switch off (tap's YAML support does, process-wide).
 */
const specOnlyTag: ScalarTag = {
  default: true,
  tag: 'tag:aviary.dev,2025:yaml-1.1-spec',
  test: new RegExp(
    '^(?:[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \\t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\\.[0-9]*)?' +
      '(?:[ \\t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?' +
      '|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\\.[0-9_]*)?)$',
  ),
  resolve: (text) => text,
};

const KUBERNETES_TAGS = [
  mapTag,
  seqTag,
  stringTag,
  nullTag,
  trueTag,
  falseTag,
  intTag,
  floatTag,
  nanTag,
];

type Options = ParseOptions & DocumentOptions & SchemaOptions;

/** Read a manifest the way kubectl and Argo CD do; `<<` merge keys included, as in go-yaml. */
export const KUBERNETES_READ: Readonly<Options> = Object.freeze({
  version: '1.1',
  customTags: () => KUBERNETES_TAGS.slice(),
  merge: true,
});

/**
 * Write for any YAML 1.1 reader: a string is quoted when go-yaml (the tags above) or a reader
 * following the YAML 1.1 spec (specOnlyTag, and the library's 1.1 schema as `compat`: `1:20`,
 * dates, `.`, `<<`) could take it for anything but a string. Merge stays off here: with it on,
 * the library writes a `"<<"` key as a bare `<<`, which every 1.1 reader would then merge.
 */
export const KUBERNETES_WRITE: Readonly<Options> = Object.freeze({
  version: '1.1',
  customTags: () => [...KUBERNETES_TAGS, specOnlyTag],
  merge: false,
  compat: 'yaml-1.1',
});
