#!/usr/bin/env bash
# Stops what start.sh DIR started (pids listed in DIR/pids), kube-apiserver
# first, then etcd. Only kills a pid whose command line still mentions DIR, so
# a recycled pid is never hit. `--rm` also deletes DIR. Idempotent.
#   bash test/e2e/peer/stop.sh DIR [--rm]
set -euo pipefail
log() { printf '[peer/stop] %s\n' "$*" >&2; }
[[ $# -ge 1 && $# -le 2 ]] || { log "usage: $0 DIR [--rm]"; exit 1; }
[[ -d "$1" ]] || { log "no such dir: $1"; exit 0; }
dir="$(cd "$1" && pwd)"

ours() { # pid is alive and was started for this dir
  [[ -r "/proc/$1/cmdline" ]] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF -- "$dir/"
}

if [[ -f "$dir/pids" ]]; then
  while read -r pid; do
    [[ -n "$pid" ]] || continue
    if ours "$pid"; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do ours "$pid" || break; sleep 0.2; done
      if ours "$pid"; then log "pid $pid ignored SIGTERM; SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
      log "stopped pid $pid"
    fi
  done <"$dir/pids"
  rm -f "$dir/pids"
fi

if [[ "${2:-}" == "--rm" ]]; then
  rm -rf "$dir"
  log "removed $dir"
fi
