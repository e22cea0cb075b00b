#!/usr/bin/env bash
# `npm test`: type-check, lint, then every vitest tier (unit, integration on the real local tier, e2e on the
# real Pulumi engine). The engine is built or found first (cached after the first run), so a fresh machine
# runs the whole suite with this one command. Extra arguments go to vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.json --noEmit
npx eslint .
if [[ -z "${PULUMI_BIN:-}" ]]; then
  PULUMI_BIN="$(bash scripts/ensure-pulumi.sh | tail -n 1)"
fi
export PULUMI_BIN PATH="$PULUMI_BIN:$PATH"
# kube-apiserver, kubectl and kine for the server-side dry run of every object (tests/e2e/kubernetes), cached too.
if [[ -z "${KUBE_BIN:-}" && "${DATA_PLATFORM_SKIP_KUBE_APISERVER:-}" != "1" ]]; then
  KUBE_BIN="$(bash scripts/ensure-kube-apiserver.sh | tail -n 1)"
fi
export KUBE_BIN
exec npx vitest run "$@"
