#!/usr/bin/env bash
# Builds k8syaml, the YAML reader of Argo CD (apimachinery's YAMLOrJSONDecoder over
# sigs.k8s.io/yaml and go-yaml v2, at the versions go.mod pins), from the Go module next to this
# script, and caches it outside the repo in
#   ${AVIARY_CACHE:-$HOME/.cache/aviary}/k8syaml-<apimachinery version>/k8syaml
# stamped with a hash of its sources, so it is rebuilt only when they change. Progress goes to
# stderr; the last stdout line is the binary's path. Needs only Go and the Go module proxy.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf 'k8syaml/build.sh: %s\n' "$*" >&2; }

command -v go >/dev/null || {
  log "go not found on PATH"
  exit 1
}

version="$(awk '{ for (i = 1; i < NF; i++) if ($i == "k8s.io/apimachinery" && $(i + 1) ~ /^v/) { print $(i + 1); exit } }' "$here/go.mod")"
[[ -n "$version" ]] || {
  log "cannot find k8s.io/apimachinery in $here/go.mod"
  exit 1
}
out="${AVIARY_CACHE:-$HOME/.cache/aviary}/k8syaml-$version"
bin="$out/k8syaml"
sum="$(cd "$here" && cat go.mod go.sum k8syaml/*.go | sha256sum | cut -d' ' -f1)"
up_to_date() { [[ -x "$bin" && "$(cat "$bin.sha256" 2>/dev/null)" == "$sum" ]]; }

mkdir -p "$out"
if ! up_to_date; then
  # Parallel test workers: the second waits here, then finds the binary built.
  exec 9>"$out/.lock"
  if command -v flock >/dev/null; then flock 9; fi
fi
if ! up_to_date; then
  log "building -> $bin"
  start=$SECONDS
  tmp="$(mktemp -d "$out/.build.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$here" && CGO_ENABLED=0 GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=readonly -buildvcs=false" \
    go build -trimpath -o "$tmp/k8syaml" ./k8syaml)
  mv -f "$tmp/k8syaml" "$bin"
  printf '%s\n' "$sum" >"$bin.sha256"
  log "built in $((SECONDS - start))s"
fi
printf '%s\n' "$bin"
