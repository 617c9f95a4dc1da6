#!/usr/bin/env bash
# Builds the real Argo CD multicall binary (run it as argocd-cmp-server with
# ARGOCD_BINARY_NAME=argocd-cmp-server) and the cmpclient test peer from the
# Go module next to this script, caching both outside the repo in
#   ${AVIARY_CACHE:-$HOME/.cache/aviary}/argocd-<version>/{argocd,cmpclient}
# If both binaries are already there (and cmpclient matches its sources), it
# does nothing. Progress goes to stderr; the last stdout line is the cache dir.
# Needs only Go and the Go module proxy. GOPATH/GOCACHE stay at their
# defaults so the module and build caches are reused between runs.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
argo_mod="github.com/argoproj/argo-cd/v3"

log() { printf 'build.sh: %s\n' "$*" >&2; }

command -v go >/dev/null || {
  log "go not found on PATH"
  exit 1
}

# The Argo CD version is whatever go.mod requires (e.g. v3.2.11).
version="$(awk -v m="$argo_mod" '$1 == m && $2 ~ /^v/ { print $2; exit }' "$here/go.mod")"
[[ -n "$version" ]] || {
  log "cannot find $argo_mod in $here/go.mod"
  exit 1
}

cache_root="${AVIARY_CACHE:-$HOME/.cache/aviary}"
out="$cache_root/argocd-$version"
mkdir -p "$out"

# cmpclient is ours and may change without an Argo CD version bump: stamp it
# with a hash of its inputs so a stale binary is rebuilt.
client_sum="$(cd "$here" && cat go.mod go.sum cmpclient/*.go | sha256sum | cut -d' ' -f1)"

up_to_date() {
  [[ -x "$out/argocd" && -x "$out/cmpclient" ]] &&
    [[ "$(cat "$out/cmpclient.sha256" 2>/dev/null)" == "$client_sum" ]]
}

if up_to_date; then
  log "cached: $out"
  printf '%s\n' "$out"
  exit 0
fi

# Serialise concurrent builds (parallel test runners) on the same cache dir.
exec 9>"$out/.lock"
if command -v flock >/dev/null; then
  flock 9
fi
if up_to_date; then
  log "cached (built by a concurrent run): $out"
  printf '%s\n' "$out"
  exit 0
fi

export CGO_ENABLED=0 # as Argo CD's Makefile (static build)
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod"
pkg="$argo_mod/common"
kubectl_version="$(awk '$1 == "k8s.io/client-go" && $2 == "=>" { print $4; exit }' "$here/go.mod")"
ldflags="-X $pkg.version=${version#v} -X $pkg.gitTag=$version -X $pkg.gitTreeState=clean -X $pkg.kubectlVersion=${kubectl_version:-unknown}"

tmp="$(mktemp -d "$out/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

cd "$here"
if [[ ! -x "$out/argocd" ]]; then
  log "building $argo_mod/cmd@$version -> $out/argocd (slow the first time: downloads modules and compiles all of Argo CD)"
  start=$SECONDS
  go build -trimpath -ldflags "$ldflags" -o "$tmp/argocd" "$argo_mod/cmd"
  mv -f "$tmp/argocd" "$out/argocd"
  log "argocd built in $((SECONDS - start))s"
fi

log "building cmpclient -> $out/cmpclient"
start=$SECONDS
go build -trimpath -o "$tmp/cmpclient" ./cmpclient
mv -f "$tmp/cmpclient" "$out/cmpclient"
printf '%s\n' "$client_sum" >"$out/cmpclient.sha256"
log "cmpclient built in $((SECONDS - start))s"

printf '%s\n' "$out"
