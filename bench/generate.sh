#!/usr/bin/env bash
# Generation through the whole gateway with the local renderer (Release build,
# real HTTP, SQLite with synchronous=full): IMAGES forced 1024x1024 PNG
# generations, one after another, and VIDEOS forced 3 s 640x360 MP4 generations
# answered in the same request (wait_s). Reports p50/p95/max end-to-end latency
# per kind and appends the rows to bench/results.md.
#
#   bench/generate.sh [IMAGES] [VIDEOS]
set -euo pipefail
cd "$(dirname "$0")/.."
images=${1:-50}
videos=${2:-5}
source bench/lib.sh
bench_build aigate aigate_plugins
bin=build/release/core/aigate
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

key=$("$bin" admin user create --email bench@aigate.local --pack scale --json --data "$tmp/data" |
  sed -n 's/.*"api_key": *"\([^"]*\)".*/\1/p')
"$bin" serve --listen 127.0.0.1:0 --data "$tmp/data" >"$tmp/serve.log" 2>&1 &
pid=$!
base=
for _ in $(seq 200); do
  base=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$tmp/serve.log")
  [ -n "$base" ] && break
  sleep 0.05
done
[ -n "$base" ] || { cat "$tmp/serve.log"; exit 1; }

# run KIND COUNT BODY_SUFFIX: prints the latencies in ms, sorted
run() {
  local kind=$1 count=$2 extra=$3 i
  for i in $(seq "$count"); do
    curl -s -o "$tmp/out.json" -w '%{http_code} %{time_total}\n' "$base/api/v1/generate/$kind" \
      -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
      -d "{\"prompt\":\"bench $kind number $i with a red sun over blue hills\",\"force_gen\":true$extra}" |
      awk -v f="$tmp/out.json" '$1 != 200 { system("cat " f); exit 1 } { printf "%.1f\n", $2 * 1000 }'
  done | sort -n
}
stats() {  # p50 p95 max of sorted numbers on stdin
  awk '{ v[NR] = $1 } END { p50 = v[int((NR + 1) / 2)]; i95 = int(NR * 0.95); if (i95 < 1) i95 = 1;
        printf "%s | %s | %s", p50, v[i95], v[NR] }'
}
image_row="| image 1024×1024 PNG | $images | $(run image "$images" "" | stats) |"
video_row="| video 640×360 3 s MP4 | $videos | $(run video "$videos" ',"wait_s":120' | stats) |"
header="| generation (local renderer, over HTTP) | requests | p50 ms | p95 ms | max ms |"
echo "$header"
echo "|---|---|---|---|---|"
echo "$image_row"
echo "$video_row"
printf '%s\n|---|---|---|---|---|\n%s\n%s\n' "$header" "$image_row" "$video_row" |
  bench_record generate "bench/generate.sh $images $videos"
