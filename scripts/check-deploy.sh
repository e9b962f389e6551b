#!/usr/bin/env bash
# Offline deploy checks (no Docker engine, no cluster, no helm here): chart, skaffold.yaml, Dockerfile, shell scripts, entrypoint.
# Prints "ok - NAME" or "not ok - NAME" (with the tool's output) per check; exits 1 if any failed.
set -uo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(git -C "$script_dir" rev-parse --show-toplevel 2>/dev/null || (cd "$script_dir/.." && pwd))"
cd "$root" || exit 1

chart=build/chart
dockerfile=build/Dockerfile
entrypoint=build/entrypoint.sh
# CI lays shared/ beside the repository clone.
helm_lite="${HELM_LITE:-$root/../shared/tools/helm-lite/helm-lite}"
# Outside the work tree, so the installed linters are never committed and survive a fresh clone on the same machine.
tools_dir="${DEPLOY_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ditochat/npm-tools}"
npm_tools=(dockerfile-utils@0.16.3 dockerfilelint@1.8.0)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

check() {
  local name="$1"
  shift
  if "$@" >"$work/out" 2>&1; then
    echo "ok - $name"
    passed=$((passed + 1))
  else
    echo "not ok - $name"
    sed 's/^/    /' "$work/out"
    failed=$((failed + 1))
  fi
}

apt_updated=0
apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "cannot install $* (not root): install it and run again" >&2
    return 1
  fi
  if [ "$apt_updated" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; return 1; }
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >"$work/apt.log" 2>&1 \
    || { cat "$work/apt.log" >&2; return 1; }
}

ensure_tools() {
  if ! command -v shellcheck >/dev/null 2>&1; then
    apt_install shellcheck || echo "shellcheck could not be installed" >&2
  fi
  if ! command -v npm >/dev/null 2>&1; then
    apt_install nodejs npm || echo "npm could not be installed" >&2
  fi
  if [ ! -x "$tools_dir/node_modules/.bin/dockerfile-utils" ] || [ ! -x "$tools_dir/node_modules/.bin/dockerfilelint" ]; then
    mkdir -p "$tools_dir"
    npm install --prefix "$tools_dir" --no-audit --no-fund --loglevel=error "${npm_tools[@]}" >"$work/npm.log" 2>&1 \
      || { echo "npm install of ${npm_tools[*]} failed:" >&2; cat "$work/npm.log" >&2; }
  fi
}

helm_lite_check() {
  if [ ! -x "$helm_lite" ]; then
    echo "helm-lite not found at $helm_lite: set HELM_LITE, or lay shared/ beside the repository (../shared/tools/helm-lite)"
    return 1
  fi
  "$helm_lite" check "$chart" "$@"
}

# The schema must refuse a grace period the app's 20 s shutdown does not fit in.
schema_rejects_short_grace() {
  [ -x "$helm_lite" ] || { echo "helm-lite not found at $helm_lite"; return 1; }
  if "$helm_lite" template "$chart" --set terminationGracePeriodSeconds=20; then
    echo "rendered with terminationGracePeriodSeconds=20; values.schema.json should refuse it"
    return 1
  fi
  return 0
}

yaml_value() {
  sed -E -e 's/^[^:]*:[[:space:]]*//' -e 's/[[:space:]]+#.*$//' -e "s/^[\"']//" -e "s/[\"']$//"
}

skaffold_paths() {
  local f=skaffold.yaml line key value context=. found_dockerfile=0 found_chart=0 bad=0 name artifacts=""
  [ -f "$f" ] || { echo "$f is missing"; return 1; }
  grep -Eq '^apiVersion:[[:space:]]*skaffold/v4beta[0-9]+' "$f" || { echo "$f: apiVersion is not skaffold/v4beta*"; bad=1; }
  while IFS= read -r line; do
    key="$(printf '%s\n' "$line" | sed -E 's/^[[:space:]]*(-[[:space:]]+)?([A-Za-z]+):.*/\2/')"
    value="$(printf '%s\n' "$line" | yaml_value)"
    case "$key" in
      image)
        context=.
        artifacts="$artifacts $(printf '%s' "$value" | tr '/.:-' '____')"
        ;;
      context) context="$value" ;;
      dockerfile)
        found_dockerfile=1
        if [ -f "$context/$value" ]; then echo "dockerfile $context/$value exists"; else echo "dockerfile $context/$value does not exist"; bad=1; fi
        ;;
      chartPath)
        found_chart=1
        if [ -f "$value/Chart.yaml" ]; then echo "chartPath $value has a Chart.yaml"; else echo "chartPath $value has no Chart.yaml"; bad=1; fi
        ;;
    esac
  done < <(grep -E '^[[:space:]]*(-[[:space:]]+)?(image|context|dockerfile|chartPath):' "$f")
  [ "$found_dockerfile" -eq 1 ] || { echo "$f names no dockerfile"; bad=1; }
  [ "$found_chart" -eq 1 ] || { echo "$f names no chartPath"; bad=1; }
  # setValueTemplates must name declared artifacts, or helm gets an empty image.
  while IFS= read -r name; do
    case " $artifacts " in
      *" $name "*) echo "template artifact $name is declared" ;;
      *) echo "template refers to artifact $name, not declared in build.artifacts (declared:$artifacts)"; bad=1 ;;
    esac
  done < <(grep -oE 'IMAGE_(FULLY_QUALIFIED|REPO_NO_DOMAIN|REPO|TAG|DIGEST|DOMAIN)_[A-Za-z0-9_]+' "$f" \
    | sed -E 's/^IMAGE_(FULLY_QUALIFIED|REPO_NO_DOMAIN|REPO|TAG|DIGEST|DOMAIN)_//' | sort -u)
  return "$bad"
}

lint_dockerfile_utils() {
  local linter="$tools_dir/node_modules/.bin/dockerfile-utils"
  [ -x "$linter" ] || { echo "dockerfile-utils is not installed in $tools_dir"; return 1; }
  # It exits 0 on warnings, so any reported problem counts as a failure.
  "$linter" lint "$1" >"$work/dfu" 2>&1
  local rc=$?
  cat "$work/dfu"
  [ "$rc" -eq 0 ] && [ ! -s "$work/dfu" ]
}

lint_dockerfilelint() {
  local linter="$tools_dir/node_modules/.bin/dockerfilelint"
  [ -x "$linter" ] || { echo "dockerfilelint is not installed in $tools_dir"; return 1; }
  "$linter" "$1"
}

linters_catch_broken_dockerfile() {
  local broken="$work/Dockerfile.broken"
  printf '%s\n' 'FROM mcr.microsoft.com/dotnet/aspnet' 'RUN apt-get install curl' 'EXPOSE 80800' 'USER' 'CMD ["dotnet", "app.dll"' >"$broken"
  local bad=0
  if lint_dockerfile_utils "$broken" >/dev/null 2>&1; then echo "dockerfile-utils passed a broken Dockerfile"; bad=1; fi
  if lint_dockerfilelint "$broken" >/dev/null 2>&1; then echo "dockerfilelint passed a broken Dockerfile"; bad=1; fi
  return "$bad"
}

dockerfile_contract() {
  local bad=0 pattern
  for pattern in '^FROM mcr\.microsoft\.com/dotnet/sdk:10\.0 AS build' '^FROM mcr\.microsoft\.com/dotnet/aspnet:10\.0' \
    'dotnet test tests/Unit' 'dotnet publish src/WebApi' '^USER [$]APP_UID$' '^EXPOSE 8080$' '^ENV PORT=8080( |$)' \
    '^ENTRYPOINT \["/app/entrypoint\.sh"\]$' '^CMD \["dotnet", "DitoChat\.WebApi\.dll"\]$'; do
    grep -Eq "$pattern" "$dockerfile" || { echo "$dockerfile does not match: $pattern"; bad=1; }
  done
  [ -f .dockerignore ] || { echo ".dockerignore is missing"; bad=1; }
  return "$bad"
}

# No Jenkins here: only the declarative shape (balanced braces, the Jenkins X stages and steps) is checked.
jenkinsfile_shape() {
  local f=Jenkinsfile bad=0 opens closes pattern
  [ -f "$f" ] || { echo "$f is missing"; return 1; }
  opens="$(tr -cd '{' <"$f" | wc -c)"
  closes="$(tr -cd '}' <"$f" | wc -c)"
  [ "$opens" -eq "$closes" ] || { echo "$f: $opens '{' but $closes '}'"; bad=1; }
  for pattern in '^pipeline \{' "stage\('CI Build and push snapshot'\)" "stage\('Build Release'\)" \
    "stage\('Promote to Environments'\)" "branch 'PR-\*'" "branch 'main'" 'scripts/test\.sh' \
    'skaffold build -f skaffold\.yaml' 'jx preview' 'jx step next-version' 'jx step helm release' 'jx promote -b --all-auto'; do
    grep -Eq "$pattern" "$f" || { echo "$f does not match: $pattern"; bad=1; }
  done
  return "$bad"
}

run_shellcheck() {
  if ! command -v shellcheck >/dev/null 2>&1; then
    echo "shellcheck is not installed (Debian package shellcheck)"
    return 1
  fi
  shellcheck "$1"
}

# Runs the entrypoint with the given env (NAME=VALUE...) then "--" and arguments; stdout+stderr to $work/ep, status to $work/ep.rc.
run_entrypoint() {
  local env_args=()
  while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
    env_args+=("$1")
    shift
  done
  shift
  env -i PATH="$PATH" "${env_args[@]}" sh "$entrypoint" "$@" >"$work/ep" 2>&1 </dev/null
  echo "$?" >"$work/ep.rc"
}

expect_refusal() {
  local missing="$1"
  shift
  run_entrypoint "$@" -- sh -c 'echo SHOULD-NOT-RUN'
  local rc
  rc="$(cat "$work/ep.rc")"
  cat "$work/ep"
  [ "$rc" -ne 0 ] || { echo "exit status was 0, want non-zero"; return 1; }
  grep -q 'docker run -e ALLOWED_ORIGIN=.* -e REDIS_ADDR=' "$work/ep" || { echo "usage does not show docker run"; return 1; }
  grep -q "missing.*$missing" "$work/ep" || { echo "message does not name $missing as missing"; return 1; }
  if grep -q SHOULD-NOT-RUN "$work/ep"; then echo "the command ran"; return 1; fi
  echo "exit status $rc"
}

expect_exec() {
  # The shell prints its PID, then execs the entrypoint: if that execs too, the command reports the same PID.
  # shellcheck disable=SC2016 # $$ and $@ are for the inner shells, not this one.
  env -i PATH="$PATH" ALLOWED_ORIGIN=https://chat.example.com REDIS_ADDR=redis:6379 \
    sh -c 'echo "$$"; exec sh "$1" sh -c "echo \$\$; printf \"[%s]\" \"\$@\"; echo; exit 7" _ "two words" x' _ "$entrypoint" \
    >"$work/ep" 2>&1 </dev/null
  local rc=$? outer inner args
  cat "$work/ep"
  outer="$(sed -n 1p "$work/ep")"
  inner="$(sed -n 2p "$work/ep")"
  args="$(sed -n 3p "$work/ep")"
  [ "$rc" -eq 7 ] || { echo "exit status $rc, want the command's 7"; return 1; }
  if [ -z "$outer" ] || [ "$outer" != "$inner" ]; then
    echo "PID changed ($outer -> $inner): the entrypoint did not exec"
    return 1
  fi
  [ "$args" = "[two words][x]" ] || { echo "arguments arrived as $args, want [two words][x]"; return 1; }
}

expect_default_command() {
  mkdir -p "$work/fakebin"
  printf '%s\n' '#!/bin/sh' 'echo "dotnet $*"' >"$work/fakebin/dotnet"
  chmod +x "$work/fakebin/dotnet"
  env -i PATH="$work/fakebin:$PATH" ALLOWED_ORIGIN='*' REDIS_ADDR=redis:6379 sh "$entrypoint" >"$work/ep" 2>&1 </dev/null
  local rc=$?
  cat "$work/ep"
  [ "$rc" -eq 0 ] && grep -qx 'dotnet DitoChat.WebApi.dll' "$work/ep"
}

ensure_tools

check "helm-lite check $chart (default values)" helm_lite_check
for values in "$chart"/ci/*-values.yaml; do
  [ -e "$values" ] || continue
  check "helm-lite check $chart -f $values" helm_lite_check -f "$values"
done
check "chart schema refuses terminationGracePeriodSeconds=20 (app shutdown is 20 s)" schema_rejects_short_grace
check "skaffold.yaml: Dockerfile, chartPath and image templates resolve" skaffold_paths
check "dockerfile-utils lint $dockerfile" lint_dockerfile_utils "$dockerfile"
check "dockerfilelint $dockerfile" lint_dockerfilelint "$dockerfile"
check "Dockerfile linters flag a broken Dockerfile" linters_catch_broken_dockerfile
check "Jenkinsfile has the Jenkins X declarative shape" jenkinsfile_shape
check "$dockerfile keeps the runtime contract (SDK tests, aspnet, non-root, 8080, entrypoint)" dockerfile_contract

scripts=()
while IFS= read -r f; do scripts+=("$f"); done < <(find build scripts -name '*.sh' -type f 2>/dev/null | sort)
[ -f .ci/run ] && scripts+=(.ci/run)
for f in "${scripts[@]}"; do
  check "shellcheck $f" run_shellcheck "$f"
done

check "entrypoint without ALLOWED_ORIGIN prints docker run usage and fails" expect_refusal ALLOWED_ORIGIN REDIS_ADDR=redis:6379
check "entrypoint without REDIS_ADDR prints docker run usage and fails" expect_refusal REDIS_ADDR ALLOWED_ORIGIN=https://chat.example.com
check "entrypoint with an empty ALLOWED_ORIGIN fails" expect_refusal ALLOWED_ORIGIN ALLOWED_ORIGIN= REDIS_ADDR=redis:6379
check "entrypoint without either names both" expect_refusal 'ALLOWED_ORIGIN and REDIS_ADDR'
check "entrypoint with both set execs the command (same PID, args and exit status pass through)" expect_exec
check "entrypoint with no arguments runs dotnet DitoChat.WebApi.dll" expect_default_command

echo "deploy checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
