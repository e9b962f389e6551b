#!/usr/bin/env bash
# Benchmarks DitoChat against a SignalR + Redis backplane baseline and writes docs/benchmarks.md.
# Usage: bench/run.sh            (full run, about 10-12 minutes on 2 cores)
#        QUICK=1 bench/run.sh    (one round, short durations: a smoke test of the whole pipeline)
#        REPORT_ONLY=bench/results/<run> bench/run.sh   (rewrite the report from a finished run's results)
# Every duration, size and the number of rounds can be overridden by the variables below.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
OUT="${REPORT_ONLY:-${OUT:-$BENCH/results/$(date -u +%Y%m%dT%H%M%SZ)}}"
REPORT="${REPORT:-$ROOT/docs/benchmarks.md}"
CHART="${CHART:-$ROOT/docs/bench-chart.svg}"

if [[ "${QUICK:-0}" == 1 ]]; then
  : "${ROUNDS:=1}" "${WARMUP:=2}" "${DURATION_A:=5}" "${DURATION_B:=5}" "${DURATION_C:=5}"
  : "${DURATION_E:=5}" "${CLIENTS_C:=2000}" "${WRK_DURATION:=5s}"
fi
ROUNDS="${ROUNDS:-2}"
WARMUP="${WARMUP:-3}"
DURATION_A="${DURATION_A:-20}"
DURATION_B="${DURATION_B:-10}"
DURATION_C="${DURATION_C:-10}"
DURATION_E="${DURATION_E:-10}"
CLIENTS="${CLIENTS:-1000}"
CLIENTS_C="${CLIENTS_C:-10000}"
PUBLISHERS="${PUBLISHERS:-4}"
RATE_A="${RATE_A:-200}"
RATE_C="${RATE_C:-10}"
MAX_INFLIGHT="${MAX_INFLIGHT:-16}"
# A offers a fixed rate: the in-flight cap is only a safety net there, so a lagging server shows as latency.
MAX_INFLIGHT_A="${MAX_INFLIGHT_A:-1000}"
CONNECT_RATE="${CONNECT_RATE:-500}"
WRK_DURATION="${WRK_DURATION:-10s}"
SCENARIOS="${SCENARIOS:-A B C D E}"

mkdir -p "$OUT" "$(dirname "$REPORT")"
RESULTS="$OUT/results.jsonl"
PIDS=()

log() { printf '\n== %s\n' "$*" >&2; }

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -z "${REPORT_ONLY:-}" ]]; then
: >"$RESULTS"

# --- tools ---------------------------------------------------------------------------------------
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-cli >/dev/null || missing+=(redis-tools)
command -v wrk >/dev/null || missing+=(wrk)
command -v shellcheck >/dev/null || missing+=(shellcheck)
command -v curl >/dev/null || missing+=(curl)
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# 10,000 clients need 10,000 descriptors in the tool and as many in the server.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

free_port() {
  local port=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    port=$((port + 1))
  done
  echo "$port"
}

wait_http() { # url; fails after 30 s
  local i
  for i in $(seq 1 300); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "no answer from $1" >&2
  return 1
}

stop_pid() {
  local pid=$1 i
  kill "$pid" 2>/dev/null || return 0
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local kept=()
  for i in "${PIDS[@]}"; do [[ "$i" == "$pid" ]] || kept+=("$i"); done
  PIDS=("${kept[@]}")
}

# --- build ---------------------------------------------------------------------------------------
log "building (Release)"
dotnet build "$ROOT/src/WebApi" -c Release -nologo -v q >"$OUT/build-ours.log" 2>&1 \
  || { cat "$OUT/build-ours.log" >&2; exit 1; }
dotnet build "$BENCH/SignalRBaseline" -c Release -nologo -v q >"$OUT/build-baseline.log" 2>&1 \
  || { cat "$OUT/build-baseline.log" >&2; exit 1; }
dotnet build "$BENCH/LoadTest" -c Release -nologo -v q >"$OUT/build-tool.log" 2>&1 \
  || { cat "$OUT/build-tool.log" >&2; exit 1; }
OURS_DLL="$ROOT/src/WebApi/bin/Release/net10.0/DitoChat.WebApi.dll"
BASELINE_DLL="$BENCH/SignalRBaseline/bin/Release/net10.0/SignalRBaseline.dll"
TOOL_DLL="$BENCH/LoadTest/bin/Release/net10.0/DitoChat.LoadTest.dll"

# --- redis ---------------------------------------------------------------------------------------
REDIS_PORT=$(free_port 16379)
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
  --daemonize no --loglevel warning >"$OUT/redis.log" 2>&1 &
REDIS_PID=$!
PIDS+=("$REDIS_PID")
for _ in $(seq 1 50); do
  redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
  sleep 0.1
done
REDIS_ADDR="127.0.0.1:$REDIS_PORT"
log "redis-server $REDIS_ADDR (pid $REDIS_PID)"

# --- servers -------------------------------------------------------------------------------------
SERVER_PIDS=()
SERVER_URLS=()

# start_servers ours|baseline COUNT: fresh processes on a flushed Redis.
start_servers() {
  local kind=$1 count=$2 i port pid
  redis-cli -p "$REDIS_PORT" flushall >/dev/null
  SERVER_PIDS=()
  SERVER_URLS=()
  for ((i = 0; i < count; i++)); do
    port=$(free_port $((18080 + i * 10)))
    if [[ "$kind" == ours ]]; then
      # Logging at Warning for both servers: the baseline sets the same level in its code.
      REDIS_ADDR="$REDIS_ADDR" PORT="$port" RATE_LIMIT_PER_SECOND=0 MAX_CONNECTIONS=0 ALLOWED_ORIGIN='*' \
        Logging__LogLevel__Default=Warning \
        dotnet "$OURS_DLL" >"$OUT/server-$kind-$port.log" 2>&1 &
    else
      REDIS_ADDR="$REDIS_ADDR" PORT="$port" \
        dotnet "$BASELINE_DLL" >"$OUT/server-$kind-$port.log" 2>&1 &
    fi
    pid=$!
    PIDS+=("$pid")
    SERVER_PIDS+=("$pid")
    SERVER_URLS+=("$port")
  done
  for port in "${SERVER_URLS[@]}"; do wait_http "http://127.0.0.1:$port/messages"; done
}

stop_servers() {
  local pid
  for pid in "${SERVER_PIDS[@]}"; do stop_pid "$pid"; done
}

join_by() { local IFS=$1; shift; echo "$*"; }

# run_tool LABEL KIND ARGS...: the load tool against the running servers; appends its RESULT line.
run_tool() {
  local label=$1 kind=$2 protocol=dito urls=() port
  shift 2
  [[ "$kind" == baseline ]] && protocol=signalr
  for port in "${SERVER_URLS[@]}"; do urls+=("ws://127.0.0.1:$port"); done
  local cmd=(dotnet "$TOOL_DLL" --protocol "$protocol" --urls "$(join_by , "${urls[@]}")"
    --server-pids "$(join_by , "${SERVER_PIDS[@]}")" --redis-pid "$REDIS_PID" --label "$label" "$@")
  echo "${cmd[*]}" >>"$OUT/commands.txt"
  "${cmd[@]}" >"$OUT/$(tr / - <<<"$label").txt" 2>"$OUT/$(tr / - <<<"$label").progress"
  grep '^RESULT ' "$OUT/$(tr / - <<<"$label").txt" | sed 's/^RESULT //' >>"$RESULTS"
  tail -n 1 "$RESULTS" | cut -c1-400 >&2
}

# utime+stime of a process in clock ticks (1/100 s).
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

# wrk_json LABEL FILE ITEMS BYTES CPU_TICKS: wrk --latency output as one JSON line.
wrk_json() {
  awk -v label="$1" -v items="$3" -v bytes="$4" -v ticks="$5" '
    function ms(v) {
      if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
      if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
      if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
      return v + 0
    }
    /Requests\/sec:/ { rps = $2 }
    /requests in/ { requests = $1 + 0 }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    /Non-2xx/ { non2xx = $NF }
    /Socket errors/ { errors = $0 }
    END {
      printf "{\"label\":\"%s\",\"requests_per_s\":%s,\"latency_p50_ms\":%s,\"latency_p99_ms\":%s,", label, rps + 0, p50 + 0, p99 + 0
      printf "\"non_2xx\":%d,\"history_items\":%d,\"response_bytes\":%d,", non2xx + 0, items, bytes
      printf "\"server_cpu_s\":%.2f,\"server_cpu_ms_per_request\":%.3f}\n", ticks / 100, (requests > 0 ? ticks * 10 / requests : 0)
    }' "$2"
}

scenario() { # NAME KIND ROUND
  local name=$1 kind=$2 round=$3 label="$1/$2/$3"
  log "scenario $label"
  case "$name" in
    A)
      start_servers "$kind" 1
      run_tool "$label" "$kind" --clients "$CLIENTS" --publishers "$PUBLISHERS" --rate "$RATE_A" \
        --warmup "$WARMUP" --duration "$DURATION_A" --connect-rate "$CONNECT_RATE" --max-inflight "$MAX_INFLIGHT_A" --quiet
      ;;
    B)
      start_servers "$kind" 1
      run_tool "$label" "$kind" --clients "$CLIENTS" --publishers "$PUBLISHERS" --rate 0 \
        --warmup "$WARMUP" --duration "$DURATION_B" --connect-rate "$CONNECT_RATE" --max-inflight "$MAX_INFLIGHT" --quiet
      ;;
    C)
      start_servers "$kind" 1
      run_tool "$label" "$kind" --clients "$CLIENTS_C" --publishers 2 --rate "$RATE_C" \
        --warmup "$WARMUP" --duration "$DURATION_C" --connect-rate "$CONNECT_RATE" --quiet
      ;;
    D)
      start_servers "$kind" 1
      run_tool "fill/$kind/$round" "$kind" --clients 1 --publishers 1 --rate 0 --count 1000 --warmup 0 --quiet
      local port=${SERVER_URLS[0]} body="$OUT/messages-$kind.json" items bytes
      curl -fsS "http://127.0.0.1:$port/messages" >"$body"
      items=$(grep -o '"text":' "$body" | wc -l)
      bytes=$(wc -c <"$body")
      # A short unmeasured run first, so neither server is measured while it is still compiling.
      wrk -t2 -c50 -d2s "http://127.0.0.1:$port/messages" >/dev/null
      echo "wrk -t2 -c50 -d$WRK_DURATION --latency http://127.0.0.1:$port/messages" >>"$OUT/commands.txt"
      local cpu_before cpu_after
      cpu_before=$(cpu_ticks "${SERVER_PIDS[0]}")
      wrk -t2 -c50 -d"$WRK_DURATION" --latency "http://127.0.0.1:$port/messages" >"$OUT/$name-$kind-$round-wrk.txt"
      cpu_after=$(cpu_ticks "${SERVER_PIDS[0]}")
      wrk_json "$label" "$OUT/$name-$kind-$round-wrk.txt" "$items" "$bytes" $((cpu_after - cpu_before)) >>"$RESULTS"
      tail -n 1 "$RESULTS" >&2
      ;;
    E)
      start_servers "$kind" 2
      run_tool "$label" "$kind" --clients "$CLIENTS" --publishers "$PUBLISHERS" --rate 0 \
        --warmup "$WARMUP" --duration "$DURATION_E" --connect-rate "$CONNECT_RATE" --max-inflight "$MAX_INFLIGHT" --quiet
      ;;
  esac
  if [[ "$kind" == ours && "$name" == A && "$round" == 1 ]]; then
    OURS_REDIS_KEYS=$(redis-cli -p "$REDIS_PORT" dbsize)
  fi
  stop_servers
}

OURS_REDIS_KEYS="not measured"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED=$(date +%s)
for ((round = 1; round <= ROUNDS; round++)); do
  for name in $SCENARIOS; do
    scenario "$name" ours "$round"
    scenario "$name" baseline "$round"
  done
done
ELAPSED=$(($(date +%s) - STARTED))
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
declare -p ELAPSED LOAD_BEFORE LOAD_AFTER OURS_REDIS_KEYS ROUNDS WARMUP DURATION_A DURATION_B DURATION_C DURATION_E \
  CLIENTS CLIENTS_C PUBLISHERS RATE_A RATE_C MAX_INFLIGHT MAX_INFLIGHT_A CONNECT_RATE WRK_DURATION >"$OUT/meta.sh"
else
  TOOL_DLL="$BENCH/LoadTest/bin/Release/net10.0/DitoChat.LoadTest.dll"
  # shellcheck source=/dev/null
  source "$OUT/meta.sh"
fi

# --- report --------------------------------------------------------------------------------------
log "writing $REPORT"
TABLES=$(dotnet "$TOOL_DLL" report "$RESULTS" "$CHART")
{
  echo "# Benchmarks: DitoChat vs ASP.NET Core SignalR + Redis backplane"
  echo
  echo "Written by \`bench/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC') (runs took ${ELAPSED} s). Rerun it to refresh this page;"
  echo "raw results and every command are in \`bench/results/\` (not committed)."
  echo
  echo "## Machine"
  echo
  echo "| | |"
  echo "|---|---|"
  echo "| cores (nproc) | $(nproc) |"
  echo "| CPU | $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') |"
  echo "| memory | $(free -g | awk '/^Mem:/ {print $2}') GiB |"
  echo "| kernel | $(uname -r) |"
  echo "| dotnet --version | $(dotnet --version) |"
  echo "| redis-server | $(redis-server --version | grep -o 'v=[^ ]*' | cut -c3-) |"
  echo
  echo "| load average before / after the runs | $LOAD_BEFORE / $LOAD_AFTER |"
  echo
  echo "The load tool (\`bench/LoadTest\`), the server(s) and Redis share these $(nproc) cores. A load average well above"
  echo "the core count means other work shared the machine during the runs: compare ratios from one run, not absolute numbers."
  echo
  echo "## What runs"
  echo
  echo "- **DitoChat**: \`dotnet src/WebApi/bin/Release/net10.0/DitoChat.WebApi.dll\` in **Redis mode in every scenario**"
  echo "  (\`REDIS_ADDR\` set, as the baseline always uses Redis), \`RATE_LIMIT_PER_SECOND=0 MAX_CONNECTIONS=0 ALLOWED_ORIGIN='*'\`,"
  echo "  \`Logging__LogLevel__Default=Warning\`. Redis keys after scenario A round 1: ${OURS_REDIS_KEYS} (0 would mean the"
  echo "  build at hand ignored \`REDIS_ADDR\` and ran in memory)."
  echo "- **Baseline**: \`bench/SignalRBaseline\`, ASP.NET Core SignalR with \`AddStackExchangeRedis\`: hub method"
  echo "  \`Send(text, uid, title)\` does LPUSH + LTRIM (last 1000) and \`Clients.All.SendAsync(\"Receive\", message)\`;"
  echo "  \`GET /messages\` returns the Redis list joined as a JSON array. Clients speak the JSON hub protocol over a"
  echo "  WebSocket without negotiation."
  echo "- Every server process is fresh for every scenario and round, on a flushed private \`redis-server\`"
  echo "  (\`--save \"\" --appendonly no\`). Order: ours, baseline, ours, baseline ($ROUNDS round(s))."
  echo "- Scenarios: **A** $CLIENTS clients, $PUBLISHERS publishers, $RATE_A msg/s in total, ${DURATION_A} s after ${WARMUP} s warm-up;"
  echo "  A's publishers send open loop (at most $MAX_INFLIGHT_A in flight each), so a server that lags shows it as latency;"
  echo "  **B** $CLIENTS clients, $PUBLISHERS publishers as fast as possible (at most $MAX_INFLIGHT messages in flight each), ${DURATION_B} s;"
  echo "  **C** $CLIENTS_C clients, 2 publishers, $RATE_C msg/s, ${DURATION_C} s (memory per connection);"
  echo "  **D** \`GET /messages\` holding 1000 messages, \`wrk -t2 -c50 -d$WRK_DURATION\` after an unmeasured 2 s \`wrk\` warm-up;"
  echo "  **E** two replicas of each server on one Redis, $CLIENTS clients and $PUBLISHERS publishers split across both, as fast as possible, ${DURATION_E} s."
  echo "- Clients connect at $CONNECT_RATE/s from 127.0.0.1. A message's text is \`p<publisher>:<seq>:<send time>\`; every client"
  echo "  checks each publisher's sequence (lost, duplicated, out of order) and measures latency from send to receipt."
  echo "  Server CPU = utime+stime from \`/proc/PID/stat\` over the measured window; KiB per connection ="
  echo "  (RSS after connecting − RSS before) / clients; peak RSS from VmRSS samples and VmHWM."
  echo
  echo "## Results"
  echo
  echo "![deliveries/s and p99 per scenario](bench-chart.svg)"
  echo
  echo "$TABLES"
  echo
  echo "## Commands"
  echo
  echo '```'
  echo "bench/run.sh    # ROUNDS=$ROUNDS WARMUP=$WARMUP DURATION_A=$DURATION_A DURATION_B=$DURATION_B DURATION_C=$DURATION_C DURATION_E=$DURATION_E CLIENTS_C=$CLIENTS_C"
  sed -e "s|$ROOT/||g" -e 's/--server-pids [0-9,]*/--server-pids PID/' -e 's/--redis-pid [0-9]*/--redis-pid PID/' \
    "$OUT/commands.txt" | sort -u
  echo '```'
} >"$REPORT.tmp"
if [[ -f "$BENCH/NOTES.md" ]]; then
  { echo; cat "$BENCH/NOTES.md"; } >>"$REPORT.tmp"
fi
mv "$REPORT.tmp" "$REPORT"
log "done in ${ELAPSED} s: $REPORT"
