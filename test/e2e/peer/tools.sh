#!/usr/bin/env bash
# Tools the deploy dry-run test needs, from the Go module proxy, cached outside the repository:
# kustomize (to render deploy/*), and the real cert-manager and Argo CD modules for their CRDs and
# Argo CD's stock install manifest, and Flux's source and kustomize controllers for their CRDs.
# Prints KUSTOMIZE=, CERT_MANAGER_DIR=, ARGOCD_DIR=, FLUX_SOURCE_DIR=, FLUX_KUSTOMIZE_DIR= on stdout.
set -euo pipefail
cache="${AVIARY_CACHE:-$HOME/.cache/aviary}"
kustomize_version=v5.7.1
cert_manager_version=v1.19.2
argocd_version=v3.2.11
# Flux's CRDs for deploy/examples/flux (v1.9.x: the newest lines need a newer Go than the peers').
flux_source_version=v1.9.6
flux_kustomize_version=v1.9.6
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

kdir="$cache/kustomize-$kustomize_version"
if [ ! -x "$kdir/kustomize" ]; then
  echo "building kustomize $kustomize_version" >&2
  GOFLAGS=-mod=mod GOBIN="$kdir" go install "sigs.k8s.io/kustomize/kustomize/v5@$kustomize_version" >&2
fi
module_dir() {
  go mod download -json "$1@$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}
echo "KUSTOMIZE=$kdir/kustomize"
echo "CERT_MANAGER_DIR=$(module_dir github.com/cert-manager/cert-manager "$cert_manager_version")"
echo "ARGOCD_DIR=$(module_dir github.com/argoproj/argo-cd/v3 "$argocd_version")"
echo "FLUX_SOURCE_DIR=$(module_dir github.com/fluxcd/source-controller "$flux_source_version")"
echo "FLUX_KUSTOMIZE_DIR=$(module_dir github.com/fluxcd/kustomize-controller "$flux_kustomize_version")"
