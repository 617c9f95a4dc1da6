#!/usr/bin/env bash
# Makes sure the real Prometheus the analyzer tests drive is installed: `prometheus` serves blocks
# built by `promtool tsdb create-blocks-from openmetrics`, and `promtool` checks and unit-tests the
# shipped rules (deploy/observability/). Debian's package (2.42 on bookworm); when either binary is
# missing it is installed with apt-get, which needs root (CI runs as root). Progress goes to
# stderr; stdout ends with the two versions.
set -euo pipefail
log() { printf '[analyze/peer] %s\n' "$*" >&2; }

if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
  if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null; then
    log "prometheus/promtool not found, and cannot apt-get install prometheus here (needs root and apt)"
    exit 1
  fi
  # Parallel test workers: the second waits here, then finds the package installed.
  exec 9>/tmp/aviary-analyze-peer.lock
  command -v flock >/dev/null && flock 9
  if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
    log "installing Debian's prometheus (once per machine)"
    export DEBIAN_FRONTEND=noninteractive
    # The package's postinst starts a system Prometheus on :9090 unless policy-rc.d says no; the
    # tests start their own on loopback. Docker's Debian images ship such a policy; else add one
    # for the install only.
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
      chmod +x /usr/sbin/policy-rc.d
      trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    apt-get update -qq >&2
    # --no-install-recommends: the node exporter it recommends is not needed.
    apt-get install -y -qq --no-install-recommends prometheus >&2
  fi
  exec 9>&-
fi
echo "PROMETHEUS=$(prometheus --version 2>&1 | head -n1)"
echo "PROMTOOL=$(promtool --version 2>&1 | head -n1)"
