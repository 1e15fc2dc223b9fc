#!/usr/bin/env bash
# The generated path side by side with the Portkey AI gateway (Node.js, from
# npm) and with the mock upstream direct, in one run of
# ../shared/bench/peer-portkey.sh (same mock, same wrk load, the gateway
# under test pinned to one core): POST /api/v1/generate/image with force_gen,
# through the openai_images plugin to the mock, every request a real one —
# authenticated, held and captured in the ledger (synchronous=FULL), the
# output downloaded, stored and recorded as an asset. Prints peer-portkey's
# table and appends it to bench/results.md.
#
#   bench/vs-portkey.sh            (PEER=path/to/peer-portkey.sh, and its knobs:
#                                   CONNS, DURATION, LAT_DURATION, REPEAT…)
set -euo pipefail
cd "$(dirname "$0")/.."
PEER=${PEER:-../shared/bench/peer-portkey.sh}
[ -x "$PEER" ] || [ -f "$PEER" ] || { echo "bench: no $PEER (set PEER=)" >&2; exit 2; }
export MOCK_PORT=${MOCK_PORT:-18080}
port=${AIGATE_BENCH_PORT:-18900}

source bench/lib.sh
bench_build aigate aigate_plugins
bin=$(pwd)/build/release/core/aigate
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The gateway: openai_images against the mock, nothing else in the way.
bench_config "$tmp/aigate.yaml" "$tmp/data" "providers:
  - name: openai_images
    plugin: openai_images
    settings: {base_url: \"http://127.0.0.1:$MOCK_PORT\"}
    api_key_env: AIGATE_BENCH_OPENAI_KEY
generation: {image: [openai_images], video: []}"
key=$(bench_user "$bin" "$tmp/aigate.yaml")

export AIGATE_BENCH_OPENAI_KEY=sk-bench-not-a-real-key
export EXTRA_CMD="$bin serve --config $tmp/aigate.yaml --listen 127.0.0.1:$port"
export EXTRA_BODY='{"prompt":"a red cube on a white table","force_gen":true,"aspect_ratio":"1:1"}'
export EXTRA_HEADERS="Authorization: Bearer $key|Content-Type: application/json"
export EXTRA_EXPECT='"source":"generated"'
# The script's curl route check sends its own "Authorization: Bearer sk-mock"
# before ours (two Authorization headers: the gateway reads the first and
# answers 401); wrk's headers are a table, so the timed runs send only ours.
# Measure anyway; the run's non2xx column shows that every request was a 200.
export EXTRA_FORCE=1
bash "$PEER" "http://127.0.0.1:$port/api/v1/generate/image" | tee "$tmp/out.txt"

{ echo '```'; cat "$tmp/out.txt"; echo '```'; } | bench_record vs-portkey bench/vs-portkey.sh
