#!/usr/bin/env bash
# Every test, on a fresh machine: installs what the tests need (redis-server, Chromium, shellcheck),
# builds, runs the unit and integration tests (real Redis, real sockets, real browser) and the deploy checks.
# Last line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v shellcheck >/dev/null || missing+=(shellcheck)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "test.sh: missing ${missing[*]}: run 'sudo apt-get install -y ${missing[*]}' (or run this script as root)" >&2
  fi
fi
bash scripts/install-chromium.sh

results=artifacts/test-results
rm -rf "$results"
passed=0
failed=0

if ! dotnet build DitoChat.sln -c Release -nologo -v quiet; then
  echo "test.sh: the build failed" >&2
  failed=$((failed + 1))
else
  dotnet test DitoChat.sln -c Release --no-build --logger "trx" --results-directory "$results" -- RunConfiguration.TestSessionTimeout=2400000
  trx_count=0
  for trx in "$results"/*.trx; do
    [ -e "$trx" ] || continue
    trx_count=$((trx_count + 1))
    counters=$(grep -o '<Counters [^>]*>' "$trx")
    p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
    f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
    e=$(sed -n 's/.* error="\([0-9]*\)".*/\1/p' <<<"$counters")
    t=$(sed -n 's/.* timeout="\([0-9]*\)".*/\1/p' <<<"$counters")
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0} + ${e:-0} + ${t:-0}))
  done
  # Two test projects, two result files; fewer means a test host crashed.
  if [ "$trx_count" -lt 2 ]; then
    echo "test.sh: expected 2 test result files, found $trx_count" >&2
    failed=$((failed + 1))
  fi
fi

deploy_output=$(bash scripts/check-deploy.sh 2>&1)
echo "$deploy_output"
deploy_line=$(tail -n 1 <<<"$deploy_output")
dp=$(sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed/\1/p' <<<"$deploy_line")
df=$(sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed/\2/p' <<<"$deploy_line")
if [ -z "$dp" ]; then
  failed=$((failed + 1))
else
  passed=$((passed + dp))
  failed=$((failed + df))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
