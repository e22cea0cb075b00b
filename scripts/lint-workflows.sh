#!/usr/bin/env bash
# Lints .github/workflows with actionlint (and the shell in `run:` steps with shellcheck when installed).
# actionlint is built from its Go module, pinned, into the tool cache; a second run reuses the binary.
#
#   bash scripts/lint-workflows.sh            # exit 0 clean, 1 findings, 2 cannot build actionlint
set -euo pipefail
ACTIONLINT_VERSION=v1.7.12
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${DATA_PLATFORM_CACHE:-$HOME/.cache/data-platform}"
BIN="$CACHE/tools/actionlint-$ACTIONLINT_VERSION"
if [[ ! -x "$BIN/actionlint" ]]; then
  command -v go >/dev/null || { echo "lint-workflows: go is not on PATH (needed to build actionlint $ACTIONLINT_VERSION)" >&2; exit 2; }
  mkdir -p "$BIN"
  echo "lint-workflows: go install github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" >&2
  GOBIN="$BIN" GOFLAGS=-mod=mod GOTOOLCHAIN="${GOTOOLCHAIN:-local}" go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" >&2 ||
    { echo "lint-workflows: building actionlint failed (see above)" >&2; exit 2; }
fi
cd "$REPO"
shopt -s nullglob
files=(.github/workflows/*.yml .github/workflows/*.yaml)
[[ ${#files[@]} -gt 0 ]] || { echo "lint-workflows: no workflow files under .github/workflows" >&2; exit 1; }
"$BIN/actionlint" -no-color "${files[@]}"
echo "lint-workflows: ${#files[@]} workflow file(s) clean (actionlint $ACTIONLINT_VERSION$(command -v shellcheck >/dev/null && echo ', shellcheck' || echo ', shellcheck not installed'))"
