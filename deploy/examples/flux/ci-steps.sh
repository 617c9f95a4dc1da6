#!/usr/bin/env bash
# CI for Flux: render the ModelReleases into plain manifests, push them as an OCI artifact, sign
# it. Run on the main branch after the pinned release was merged. Needs aviary, flux, jq and cosign on
# PATH; cosign signs keyless with the workflow's OIDC identity (ocirepository.yaml trusts it).
set -euo pipefail

APP_DIR="${APP_DIR:-apps/fraud-detector}"
NAMESPACE="${NAMESPACE:-ml-prod}"
ARTIFACT="${ARTIFACT:-oci://registry.example.com/aviary/models-rendered}"
OUT="${OUT:-rendered}"
REVISION="$(git rev-parse HEAD)"

# 1. The same rendering Argo CD's plugin does, one file per object; policies checked offline first.
aviary render "$APP_DIR" --namespace "$NAMESPACE" --out "$OUT"
aviary check --policies policies/ --namespace "$NAMESPACE" "$OUT"/*.yaml

# 2. Push: the artifact records where it came from.
digest_url="$(flux push artifact "$ARTIFACT:$REVISION" --path="$OUT" \
  --source="$(git config --get remote.origin.url)" --revision="main@sha1:$REVISION" \
  --output json | jq -r '.repository + "@" + .digest')"
flux tag artifact "$ARTIFACT:$REVISION" --tag main

# 3. Sign the digest that was pushed (never a tag, which can move).
cosign sign --yes "$digest_url"
