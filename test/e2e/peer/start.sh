#!/usr/bin/env bash
# shellcheck disable=SC2015  # `a && b || c` is intended: b always succeeds
# Starts a throw-away, loopback-only control plane (etcd + kube-apiserver) for
# the e2e tests, and waits until the apiserver's /readyz answers 200.
#
#   bash test/e2e/peer/start.sh DIR        # DIR: new or empty temp directory
#   bash test/e2e/peer/stop.sh  DIR [--rm] # tear down (and delete DIR)
#
# Binaries: $KUBE_APISERVER and $ETCD if set, else built/cached by build.sh.
# Tunables: AVIARY_PEER_READY_TIMEOUT (seconds, default 120),
#           AVIARY_PEER_EXTRA_ARGS (extra kube-apiserver flags, word-split).
#
# Writes into DIR:
#   kubeconfig          admin (client cert, group system:masters), CA embedded
#   env                 KEY=VALUE lines (shell-sourceable): APISERVER_URL, ports,
#                       CA/cert/token paths, pids
#   pids                one pid per line, in stop order (kube-apiserver, etcd)
#   pki/ca.{crt,key}    throw-away CA: signs the apiserver, admin and webhook certs
#   pki/apiserver.*     serving cert for 127.0.0.1/localhost
#   pki/admin.*         client cert CN=aviary-admin O=system:masters
#   pki/webhook.*       serving cert for 127.0.0.1/localhost, for a test webhook
#                       (its caBundle is base64 of pki/ca.crt)
#   pki/sa.{key,pub}    service-account signing key
#   tokens.csv, token   static bearer tokens (admin: system:masters;
#                       limited: user aviary-limited, no groups beyond
#                       system:authenticated, so RBAC applies)
#   logs/etcd.log, logs/kube-apiserver.log
# On stdout, last line: APISERVER_URL=https://127.0.0.1:<port>; progress on stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '[peer/start] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $# -eq 1 ]] || die "usage: $0 DIR"
mkdir -p "$1"
dir="$(cd "$1" && pwd)"
[[ -e "$dir/pids" ]] && die "$dir/pids exists: already started? run stop.sh first"

ready_timeout="${AVIARY_PEER_READY_TIMEOUT:-120}"

# ---------------------------------------------------------------- binaries
if [[ -z "${KUBE_APISERVER:-}" || -z "${ETCD:-}" ]]; then
  built="$(bash "$here/build.sh")" || die "build.sh failed"
  KUBE_APISERVER="$(sed -n 's/^KUBE_APISERVER=//p' <<<"$built")"
  ETCD="$(sed -n 's/^ETCD=//p' <<<"$built")"
fi
[[ -x "$KUBE_APISERVER" ]] || die "kube-apiserver not executable: $KUBE_APISERVER"
[[ -x "$ETCD" ]] || die "etcd not executable: $ETCD"

# ---------------------------------------------------------------- tools
need_apt=()
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
if ((${#need_apt[@]})); then
  [[ $(id -u) -eq 0 ]] || die "missing ${need_apt[*]} (and not root to apt-get install it)"
  log "installing ${need_apt[*]} with apt-get"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >&2
fi

free_ports() { # prints N distinct free loopback TCP ports, one per line
  local n="$1"
  if command -v python3 >/dev/null 2>&1; then
    python3 - "$n" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
for s in socks: print(s.getsockname()[1])
PY
  elif command -v node >/dev/null 2>&1; then
    node -e '
const net = require("net"); const n = +process.argv[1]; const ss = [];
(async () => { for (let i = 0; i < n; i++) { const s = net.createServer();
  await new Promise(r => s.listen(0, "127.0.0.1", r)); ss.push(s); }
  for (const s of ss) console.log(s.address().port); ss.forEach(s => s.close()); })();' "$n"
  else
    die "need python3 or node to pick free ports"
  fi
}

# ---------------------------------------------------------------- PKI
pki="$dir/pki"
mkdir -p "$pki" "$dir/logs"
log "creating throw-away CA and certs in $pki"
(
  cd "$pki"
  exec 2>>"$dir/logs/openssl.log"
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 7 \
    -keyout ca.key -out ca.crt -subj "/CN=aviary-e2e-ca" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign"
  # sign NAME SUBJECT EXTFILE-CONTENT
  sign() {
    openssl req -new -newkey rsa:2048 -nodes -sha256 \
      -keyout "$1.key" -out "$1.csr" -subj "$2"
    printf '%s\n' "$3" >"$1.ext"
    openssl x509 -req -sha256 -days 7 -in "$1.csr" -CA ca.crt -CAkey ca.key \
      -CAcreateserial -out "$1.crt" -extfile "$1.ext"
    rm -f "$1.csr" "$1.ext"
  }
  serving_ext='basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth'
  sign apiserver "/CN=kube-apiserver" "$serving_ext
subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  sign webhook "/CN=aviary-webhook" "$serving_ext
subjectAltName=IP:127.0.0.1,DNS:localhost"
  sign admin "/O=system:masters/CN=aviary-admin" 'basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth'
  openssl genrsa -out sa.key 2048
  openssl rsa -in sa.key -pubout -out sa.pub
  chmod 600 ./*.key
)

admin_token="$(openssl rand -hex 24)"
limited_token="$(openssl rand -hex 24)"
printf '%s,aviary-admin,aviary-admin,"system:masters"\n%s,aviary-limited,aviary-limited\n' \
  "$admin_token" "$limited_token" >"$dir/tokens.csv"
printf '%s\n' "$admin_token" >"$dir/token"
chmod 600 "$dir/tokens.csv" "$dir/token"

# ---------------------------------------------------------------- start
# start_detached LOGFILE CMD...: own session (survives the caller's process
# group / terminal), stdin closed; prints the pid.
start_detached() {
  local logf="$1"; shift
  setsid "$@" </dev/null >>"$logf" 2>&1 &
  echo $!
}

alive() { kill -0 "$1" 2>/dev/null; }

curl_ok() { # URL [curl args...]: true when it answers HTTP 200
  local code
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$@" 2>/dev/null)" || true
  [[ "$code" == 200 ]]
}

kill_started() {
  for p in ${apiserver_pid:-} ${etcd_pid:-}; do
    alive "$p" && kill "$p" 2>/dev/null || true
  done
  sleep 1
  for p in ${apiserver_pid:-} ${etcd_pid:-}; do
    alive "$p" && kill -9 "$p" 2>/dev/null || true
  done
  apiserver_pid="" etcd_pid=""
}

attempt_start() { # returns 0 ready, 1 fatal, 2 port race (retry)
  local ports
  mapfile -t ports < <(free_ports 3)
  etcd_port="${ports[0]}" etcd_peer_port="${ports[1]}" apiserver_port="${ports[2]}"
  local etcd_url="http://127.0.0.1:$etcd_port"
  rm -rf "$dir/etcd-data"
  log "starting etcd on $etcd_url"
  etcd_pid="$(start_detached "$dir/logs/etcd.log" "$ETCD" \
    --name=aviary-e2e \
    --data-dir="$dir/etcd-data" \
    --listen-client-urls="$etcd_url" \
    --advertise-client-urls="$etcd_url" \
    --listen-peer-urls="http://127.0.0.1:$etcd_peer_port" \
    --initial-advertise-peer-urls="http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster="aviary-e2e=http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster-state=new \
    --unsafe-no-fsync \
    --log-level=warn)"
  local deadline=$((SECONDS + 30))
  until curl_ok "$etcd_url/health"; do
    if ! alive "$etcd_pid"; then
      grep -q 'address already in use' "$dir/logs/etcd.log" && return 2
      log "etcd exited; tail of logs/etcd.log:"; tail -n 20 "$dir/logs/etcd.log" >&2; return 1
    fi
    ((SECONDS < deadline)) || { log "etcd not healthy after 30s"; tail -n 20 "$dir/logs/etcd.log" >&2; return 1; }
    sleep 0.2
  done

  local url="https://127.0.0.1:$apiserver_port"
  log "starting kube-apiserver on $url"
  local t0=$SECONDS
  # shellcheck disable=SC2086
  apiserver_pid="$(start_detached "$dir/logs/kube-apiserver.log" "$KUBE_APISERVER" \
    --bind-address=127.0.0.1 \
    --advertise-address=127.0.0.1 \
    --secure-port="$apiserver_port" \
    --tls-cert-file="$pki/apiserver.crt" \
    --tls-private-key-file="$pki/apiserver.key" \
    --cert-dir="$dir/cert-dir" \
    --etcd-servers="$etcd_url" \
    --client-ca-file="$pki/ca.crt" \
    --token-auth-file="$dir/tokens.csv" \
    --authorization-mode=RBAC \
    --enable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook,ValidatingAdmissionPolicy \
    --service-account-issuer="https://kubernetes.default.svc.cluster.local" \
    --service-account-key-file="$pki/sa.pub" \
    --service-account-signing-key-file="$pki/sa.key" \
    --service-cluster-ip-range=10.0.0.0/24 \
    --endpoint-reconciler-type=none \
    --profiling=false \
    ${AVIARY_PEER_EXTRA_ARGS:-})"
  deadline=$((SECONDS + ready_timeout))
  until curl_ok "$url/readyz" --cacert "$pki/ca.crt"; do
    if ! alive "$apiserver_pid"; then
      grep -q 'address already in use' "$dir/logs/kube-apiserver.log" && return 2
      log "kube-apiserver exited; tail of logs/kube-apiserver.log:"
      tail -n 30 "$dir/logs/kube-apiserver.log" >&2; return 1
    fi
    if ((SECONDS >= deadline)); then
      log "kube-apiserver not ready after ${ready_timeout}s; /readyz?verbose says:"
      curl -s --max-time 5 --cacert "$pki/ca.crt" "$url/readyz?verbose" >&2 || true
      tail -n 30 "$dir/logs/kube-apiserver.log" >&2; return 1
    fi
    sleep 0.25
  done
  apiserver_url="$url"
  log "kube-apiserver ready in $((SECONDS - t0))s"
  return 0
}

apiserver_pid="" etcd_pid=""
trap 'kill_started' ERR INT TERM
rc=2
for attempt in 1 2 3; do
  set +e; attempt_start; rc=$?; set -e
  ((rc == 2)) || break
  log "port race on attempt $attempt; retrying"
  kill_started
done
if ((rc != 0)); then kill_started; die "control plane did not start (logs in $dir/logs)"; fi
trap - ERR INT TERM

b64() { base64 -w0 <"$1"; }
cat >"$dir/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: aviary-e2e
  cluster:
    server: $apiserver_url
    certificate-authority-data: $(b64 "$pki/ca.crt")
users:
- name: aviary-admin
  user:
    client-certificate-data: $(b64 "$pki/admin.crt")
    client-key-data: $(b64 "$pki/admin.key")
- name: aviary-limited
  user:
    token: $limited_token
contexts:
- name: aviary-e2e
  context:
    cluster: aviary-e2e
    user: aviary-admin
- name: aviary-e2e-limited
  context:
    cluster: aviary-e2e
    user: aviary-limited
current-context: aviary-e2e
KC
chmod 600 "$dir/kubeconfig"

printf '%s\n%s\n' "$apiserver_pid" "$etcd_pid" >"$dir/pids"
cat >"$dir/env" <<ENV
APISERVER_URL=$apiserver_url
APISERVER_PORT=$apiserver_port
ETCD_URL=http://127.0.0.1:$etcd_port
KUBECONFIG=$dir/kubeconfig
CA_CERT=$pki/ca.crt
ADMIN_CERT=$pki/admin.crt
ADMIN_KEY=$pki/admin.key
ADMIN_TOKEN_FILE=$dir/token
LIMITED_TOKEN=$limited_token
WEBHOOK_CERT=$pki/webhook.crt
WEBHOOK_KEY=$pki/webhook.key
KUBE_APISERVER_PID=$apiserver_pid
ETCD_PID=$etcd_pid
ENV
log "ready: KUBECONFIG=$dir/kubeconfig (stop with: bash $here/stop.sh $dir)"
echo "APISERVER_URL=$apiserver_url"
