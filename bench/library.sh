#!/usr/bin/env bash
# Library hits and searches through the whole gateway: Release build, real
# HTTP, SQLite with synchronous=FULL, the gateway pinned to one core and wrk
# on the other (as ../shared/bench/peer-portkey.sh does). Two runs:
#
#   hit     POST /api/v1/generate/image whose prompt is a library asset's
#           title (200 prompts taken at random, in turn): authenticated,
#           matched, charged the library price (a ledger entry each,
#           group-committed and fsync'd), answered with the asset;
#   search  GET /api/v1/search?q=… with 2–3 words of a random asset (free).
#
# On the starter library (1,040 assets; drawn once into build/starter), or,
# with ASSETS=N, on bench/search.sh's synthetic library of N assets (built
# by bench/search.sh if missing, copied so that the charges do not change
# it). Prints req/s, p50/p99/max, non-2xx/errors, the gateway's CPU time per
# request and its peak RSS (VmHWM), and appends the table to
# bench/results.md.
#
#   bench/library.sh                 CONNS [32] DURATION [10s] ASSETS [starter]
#                                    MMAP_MB [0]: store.reader_mmap_mb (mapped
#                                    file pages count in RSS)
#                                    PERF [unset]: directory; records each timed
#                                    run with perf (call graphs) into PERF/<run>.data
set -euo pipefail
cd "$(dirname "$0")/.."
CONNS=${CONNS:-32}
DURATION=${DURATION:-10s}
ASSETS=${ASSETS:-}
GW_CPU=${GW_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
port=${AIGATE_BENCH_PORT:-18901}
command -v wrk >/dev/null || { echo "bench: wrk not found (apt-get install -y wrk)" >&2; exit 2; }
command -v sqlite3 >/dev/null || { echo "bench: sqlite3 not found (apt-get install -y sqlite3)" >&2; exit 2; }

source bench/lib.sh
bench_build aigate aigate_plugins aigate-starter-gen
bin=$(pwd)/build/release/core/aigate
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/data"

if [ -n "$ASSETS" ]; then
  src=build/bench/search-zm-$ASSETS
  [ -s "$src/aigate.db" ] || bench/search.sh "$ASSETS" 100 >/dev/null
  cp "$src/aigate.db" "$tmp/data/aigate.db"
  library="$ASSETS synthetic assets"
else
  if [ ! -s build/starter/manifest.jsonl ]; then
    echo "bench: drawing the starter library into build/starter (about a minute, once)" >&2
    build/release/core/library/starter/aigate-starter-gen build/starter >/dev/null
  fi
  "$bin" library import build/starter --data "$tmp/data" >/dev/null 2>&1
  library="the starter library"
fi

bench_config "$tmp/aigate.yaml" "$tmp/data"
key=$(bench_user "$bin" "$tmp/aigate.yaml")

# Prompts: titles of random shared images (with their aspect ratio, which a
# match must have); queries: two or three words of random assets.
sqlite3 "$tmp/data/aigate.db" \
  "SELECT title, aspect_ratio FROM assets WHERE type = 'image' AND owner_id IS NULL
   AND seq IN (SELECT seq FROM assets ORDER BY random() LIMIT 2000) LIMIT 200" |
  python3 -c '
import json, sys
for line in sys.stdin:
    title, ratio = line.rstrip("\n").rsplit("|", 1)
    print(json.dumps({"prompt": title, "aspect_ratio": ratio}))' >"$tmp/prompts.jsonl"
sqlite3 "$tmp/data/aigate.db" \
  "SELECT title || ' ' || tags FROM assets WHERE seq IN (SELECT seq FROM assets ORDER BY random() LIMIT 200)" |
  python3 -c '
import random, re, sys, urllib.parse
random.seed(7)
for line in sys.stdin:
    words = [w for w in re.split(r"[^0-9A-Za-z]+", line) if len(w) > 2 and w != "with"]
    random.shuffle(words)
    print("/api/v1/search?q=" + urllib.parse.quote(" ".join(words[:random.choice([2, 3])])))' >"$tmp/queries.txt"

cat >"$tmp/hit.lua" <<LUA
local bodies, i = {}, 0
for line in io.lines("$tmp/prompts.jsonl") do bodies[#bodies + 1] = line end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
request = function()
  i = i % #bodies + 1
  return wrk.format(nil, "/api/v1/generate/image", nil, bodies[i])
end
LUA
cat >"$tmp/search.lua" <<LUA
local paths, i = {}, 0
for line in io.lines("$tmp/queries.txt") do paths[#paths + 1] = line end
wrk.headers["Authorization"] = "Bearer $key"
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
LUA
cat >>"$tmp/hit.lua" <<'LUA'
done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.0f p50=%.2f p99=%.2f max=%.2f non2xx=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA
sed -n '/^done = /,$p' "$tmp/hit.lua" >>"$tmp/search.lua"

taskset -c "$GW_CPU" "$bin" serve --config "$tmp/aigate.yaml" --listen "127.0.0.1:$port" >"$tmp/serve.log" 2>&1 &
pid=$!
for _ in $(seq 600); do curl -s -o /dev/null "http://127.0.0.1:$port/health" && break; sleep 0.1; done
first=$(head -1 "$tmp/prompts.jsonl")
check=$(curl -s -X POST -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
  -d "$first" "http://127.0.0.1:$port/api/v1/generate/image")
case "$check" in *'"source":"library"'*) ;; *) echo "bench: not a library hit: $check" >&2; exit 1 ;; esac

cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
run() { # name script -> one table row
  local name=$1 script=$2 t0 t1 out n
  taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d3s -s "$script" "http://127.0.0.1:$port" >/dev/null  # warm-up
  t0=$(cpu_ticks)
  local perf_pid=
  if [ -n "${PERF:-}" ]; then
    mkdir -p "$PERF"
    local tag=${name%%:*}
    perf record -F 999 --call-graph dwarf,16384 -p "$pid" -o "$PERF/${tag// /-}.data" \
      -- sleep "${DURATION%s}" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  out=$(taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"$DURATION" --latency -s "$script" "http://127.0.0.1:$port")
  t1=$(cpu_ticks)
  [ -z "$perf_pid" ] || wait "$perf_pid" || true
  n=$(echo "$out" | awk '/requests in/ {print $1}')
  echo "$out" | sed -n 's/^RESULT //p' | awk -v name="$name" -v cpu="$(awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n="$n" 'BEGIN{printf "%.0f", d * 1e6 / hz / n}')" '{
    for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
    printf "| %s | %s | %s | %s | %s | %s/%s | %s |", name, f["rps"], f["p50"], f["p99"], f["max"], f["non2xx"], f["errors"], cpu }'
  echo " $(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$pid/status") |"
}
header="| run ($library, $CONNS connections, gateway on CPU $GW_CPU, reader_mmap_mb ${MMAP_MB:-0}) | req/s | p50 ms | p99 ms | max ms | non-2xx/errors | gateway µs CPU/req | peak RSS MiB |"
rows=$(run "library hit: POST /api/v1/generate/image" "$tmp/hit.lua"; run "search: GET /api/v1/search" "$tmp/search.lua")
charged=$(sqlite3 "$tmp/data/aigate.db" "SELECT COUNT(*) FROM ledger WHERE kind = 'charge'")
table=$(printf '%s\n|---|---|---|---|---|---|---|---|\n%s\n' "$header" "$rows")
echo "$table"
echo "ledger: $charged library charges recorded"
printf '%s\n\nledger: %s library charges recorded\n' "$table" "$charged" |
  bench_record library "ASSETS=$ASSETS MMAP_MB=${MMAP_MB:-0} CONNS=$CONNS DURATION=$DURATION bench/library.sh"
