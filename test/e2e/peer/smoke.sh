#!/usr/bin/env bash
# shellcheck disable=SC2015  # `a && b || c` is intended: b always succeeds
# Smoke test of the peer control plane, with curl only:
#   server-side apply of the KServe InferenceService CRD (../shared/crds, ~1.9 MB),
#   wait for Established, create an InferenceService, register a
#   ValidatingWebhookConfiguration (url clientConfig + caBundle) for
#   serving.kserve.io whose URL is down with failurePolicy Fail, and check that
#   admission then fails naming the webhook. Cleans up the webhook config.
#   bash test/e2e/peer/smoke.sh DIR      # DIR: as given to start.sh (running)
# Prints "N passed, N failed".
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[[ $# -eq 1 ]] || { echo "usage: $0 DIR" >&2; exit 2; }
dir="$(cd "$1" && pwd)"
# shellcheck disable=SC1091
. "$dir/env"
crd="${AVIARY_ISVC_CRD:-$here/../../../../shared/crds/serving.kserve.io_inferenceservices.yaml}"
[[ -f "$crd" ]] || { echo "CRD not found: $crd (set AVIARY_ISVC_CRD)" >&2; exit 2; }

pass=0 fail=0
t0=$SECONDS
ok() { pass=$((pass + 1)); echo "ok - $* [t+$((SECONDS - t0))s]"; }
notok() { fail=$((fail + 1)); echo "not ok - $*"; }
# k METHOD PATH [curl args...]: prints body to $dir/smoke.out, echoes HTTP code
k() {
  local m="$1" p="$2"; shift 2
  curl -sS --cacert "$CA_CERT" --cert "$ADMIN_CERT" --key "$ADMIN_KEY" \
    -X "$m" "$APISERVER_URL$p" -o "$dir/smoke.out" -w '%{http_code}' "$@"
}

crd_path=/apis/apiextensions.k8s.io/v1/customresourcedefinitions/inferenceservices.serving.kserve.io
code="$(k PATCH "$crd_path?fieldManager=aviary-e2e&force=true" \
  -H 'Content-Type: application/apply-patch+yaml' --data-binary @"$crd")"
[[ "$code" == 200 || "$code" == 201 ]] && ok "server-side apply CRD ($code)" || notok "server-side apply CRD ($code): $(head -c 400 "$dir/smoke.out")"

established=no
for _ in $(seq 1 100); do
  k GET "$crd_path" >/dev/null
  if tr -d ' \n' <"$dir/smoke.out" | grep -q '"type":"Established","status":"True"'; then established=yes; break; fi
  sleep 0.1
done
[[ $established == yes ]] && ok "CRD Established" || notok "CRD not Established"

ns="smoke-$RANDOM$RANDOM"
code="$(k POST /api/v1/namespaces -H 'Content-Type: application/json' \
  -d "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$ns\"}}")"
[[ "$code" == 201 ]] && ok "namespace $ns" || notok "namespace ($code)"

isvc() { # name
  printf '{"apiVersion":"serving.kserve.io/v1beta1","kind":"InferenceService","metadata":{"name":"%s"},"spec":{"predictor":{"canaryTrafficPercent":10,"model":{"modelFormat":{"name":"sklearn"},"storageUri":"gs://kfserving-examples/models/sklearn/1.0/model"}}}}' "$1"
}
code="$(k POST "/apis/serving.kserve.io/v1beta1/namespaces/$ns/inferenceservices" \
  -H 'Content-Type: application/json' -d "$(isvc first)")"
[[ "$code" == 201 ]] && ok "create InferenceService" || notok "create InferenceService ($code): $(head -c 400 "$dir/smoke.out")"

# a loopback port nobody listens on: bind-and-release
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
vwc=aviary-smoke-down
code="$(k POST /apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations \
  -H 'Content-Type: application/json' -d @- <<JSON
{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingWebhookConfiguration",
 "metadata":{"name":"$vwc"},
 "webhooks":[{"name":"down.aviary.e2e",
   "clientConfig":{"url":"https://127.0.0.1:$port/validate","caBundle":"$(base64 -w0 "$CA_CERT")"},
   "rules":[{"apiGroups":["serving.kserve.io"],"apiVersions":["*"],"operations":["CREATE","UPDATE"],"resources":["inferenceservices"],"scope":"Namespaced"}],
   "namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"$ns"}},
   "failurePolicy":"Fail","sideEffects":"None","admissionReviewVersions":["v1"],"timeoutSeconds":5}]}
JSON
)"
[[ "$code" == 201 ]] && ok "ValidatingWebhookConfiguration with https 127.0.0.1 url + caBundle accepted" || notok "VWC ($code): $(head -c 400 "$dir/smoke.out")"

# the webhook config takes effect asynchronously (informer); retry briefly
denied=no
for _ in $(seq 1 50); do
  code="$(k POST "/apis/serving.kserve.io/v1beta1/namespaces/$ns/inferenceservices" \
    -H 'Content-Type: application/json' -d "$(isvc second)")"
  if [[ "$code" != 201 ]] && grep -q 'failed calling webhook \\"down.aviary.e2e\\"' "$dir/smoke.out"; then denied=yes; break; fi
  [[ "$code" == 201 ]] && k DELETE "/apis/serving.kserve.io/v1beta1/namespaces/$ns/inferenceservices/second" >/dev/null
  sleep 0.2
done
[[ $denied == yes ]] && ok "webhook down + failurePolicy Fail rejects ($code): $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["message"])' "$dir/smoke.out")" \
  || notok "webhook down did not reject (last $code: $(head -c 300 "$dir/smoke.out"))"

k DELETE "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/$vwc" >/dev/null || true
rm -f "$dir/smoke.out"
echo "$pass passed, $fail failed"
((fail == 0))
