#!/usr/bin/env bash
# Installs the real Python tools the `aviary pin` tests drive, each in a venv cached outside the
# repo under ${AVIARY_CACHE:-$HOME/.cache/aviary}/ and stamped when its install completed, so a
# cached run costs two file checks:
#   model-signing-1.1.1/venv  PyPI model-signing, pinned by test/fixtures/signing/requirements.txt
#                             (the venv test/fixtures/signing/generate.sh uses)
#   mlflow-<version>/venv     PyPI mlflow==$MLFLOW_VERSION (tracking server and registry)
# Needs python3 (with venv) and PyPI. Progress goes to stderr; stdout ends with
#   MODEL_SIGNING=<path of the model_signing CLI>
#   MLFLOW_PYTHON=<path of the mlflow venv's python>
set -euo pipefail

MODEL_SIGNING_VERSION=1.1.1
MLFLOW_VERSION=3.17.2
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${AVIARY_CACHE:-$HOME/.cache/aviary}"
log() { printf '[pin/peer] %s\n' "$*" >&2; }

# venv folder, stamp name, check command, pip arguments...
install() {
  local out="$1" check="$2"
  shift 2
  [[ -f "$out/installed" ]] && return 0
  command -v python3 >/dev/null || {
    log "python3 not found on PATH"
    exit 1
  }
  mkdir -p "$out"
  # Parallel test workers: the second waits here, then finds the venv installed.
  exec 9>"$out/.lock"
  command -v flock >/dev/null && flock 9
  if [[ ! -f "$out/installed" ]]; then
    log "installing $* into $out/venv (once per machine)"
    # A venv generate.sh made is reused when it already works.
    if ! "$out/venv/bin/python" -c "$check" 2>/dev/null; then
      rm -rf "$out/venv"
      python3 -m venv "$out/venv"
      "$out/venv/bin/pip" install --quiet --disable-pip-version-check "$@" >&2
      "$out/venv/bin/python" -c "$check"
    fi
    touch "$out/installed"
  fi
  exec 9>&-
}

install "$cache/model-signing-$MODEL_SIGNING_VERSION" \
  "import model_signing, OpenSSL" \
  -r "$here/../../fixtures/signing/requirements.txt"
install "$cache/mlflow-$MLFLOW_VERSION" \
  "import mlflow, sys; sys.exit(mlflow.__version__ != '$MLFLOW_VERSION')" \
  "mlflow==$MLFLOW_VERSION"
echo "MODEL_SIGNING=$cache/model-signing-$MODEL_SIGNING_VERSION/venv/bin/model_signing"
echo "MLFLOW_PYTHON=$cache/mlflow-$MLFLOW_VERSION/venv/bin/python"
