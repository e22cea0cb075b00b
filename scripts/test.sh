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
exec npx vitest run "$@"
