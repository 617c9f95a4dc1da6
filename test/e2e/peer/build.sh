#!/usr/bin/env bash
# Builds the real control-plane peers for the e2e tests, once:
#   kube-apiserver  from k8s.io/kubernetes  $KUBE_VERSION  (wrapper module ./kube-apiserver)
#   etcd            from go.etcd.io/etcd/server/v3 $ETCD_VERSION (wrapper module ./etcd)
# Binaries are cached outside the repo:
#   ${AVIARY_CACHE:-$HOME/.cache/aviary}/kube-<version>/kube-apiserver
#   ${AVIARY_CACHE:-$HOME/.cache/aviary}/etcd-<version>/etcd
# and are not rebuilt when present. Needs only Go (>= the go line in the
# wrapper go.mod files) and the Go module proxy.
#
# stdout (last two lines, for `eval "$(bash build.sh)"` or grep):
#   KUBE_APISERVER=<path>
#   ETCD=<path>
# Progress goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
. "$here/versions.env"

cache="${AVIARY_CACHE:-$HOME/.cache/aviary}"
kube_dir="$cache/kube-$KUBE_VERSION"
etcd_dir="$cache/etcd-$ETCD_VERSION"
kube_bin="$kube_dir/kube-apiserver"
etcd_bin="$etcd_dir/etcd"

log() { printf '[peer/build] %s\n' "$*" >&2; }

if ! command -v go >/dev/null 2>&1; then
  log "go not found on PATH; install Go >= 1.26 first"
  exit 1
fi

# Serialize concurrent callers (parallel test workers): the second one waits,
# then finds the binaries cached.
mkdir -p "$cache"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$cache/.peer-build.lock"
  flock 9
fi

export CGO_ENABLED=0
# -mod=readonly: never rewrite the committed go.mod/go.sum while building.
export GOFLAGS="${GOFLAGS:-} -mod=readonly -buildvcs=false"

# go_build <module dir> <output path> <package> <ldflags>
# Builds into a temp file next to the output, then renames, so an interrupted
# build never leaves a half-written binary that later runs would trust.
go_build() {
  local mod_dir="$1" out="$2" pkg="$3" ldflags="$4"
  mkdir -p "$(dirname "$out")"
  local tmp="$out.tmp.$$"
  trap 'rm -f "'"$tmp"'"' EXIT
  (cd "$mod_dir" && go build -trimpath -ldflags "$ldflags" -o "$tmp" "$pkg")
  mv -f "$tmp" "$out"
  trap - EXIT
}

if [[ -x "$kube_bin" ]]; then
  log "kube-apiserver $KUBE_VERSION cached: $kube_bin"
else
  log "building kube-apiserver $KUBE_VERSION (first time: several minutes on 2 cores)..."
  start=$SECONDS
  ver="${KUBE_VERSION}"
  minor="${ver#v1.}"; minor="${minor%%.*}"
  ld="-s -w"
  # Same version stamping as kubernetes' hack/lib/version.sh, so /version and
  # the compatibility-version logic see the real release.
  for pkgpath in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    ld+=" -X $pkgpath.gitVersion=$ver -X $pkgpath.gitMajor=1 -X $pkgpath.gitMinor=$minor"
    ld+=" -X $pkgpath.gitTreeState=clean -X $pkgpath.gitCommit= -X $pkgpath.buildDate=1970-01-01T00:00:00Z"
  done
  go_build "$here/kube-apiserver" "$kube_bin" k8s.io/kubernetes/cmd/kube-apiserver "$ld"
  log "built kube-apiserver in $((SECONDS - start))s"
fi

if [[ -x "$etcd_bin" ]]; then
  log "etcd $ETCD_VERSION cached: $etcd_bin"
else
  log "building etcd $ETCD_VERSION..."
  start=$SECONDS
  go_build "$here/etcd" "$etcd_bin" . "-s -w"
  log "built etcd in $((SECONDS - start))s"
fi

# (no `| head` here: with pipefail a SIGPIPE'd producer would fail the script)
log "$("$kube_bin" --version)"
etcd_version="$("$etcd_bin" --version)"
log "${etcd_version%%$'\n'*}"

echo "KUBE_APISERVER=$kube_bin"
echo "ETCD=$etcd_bin"
