#!/usr/bin/env bash
# Search on a synthetic library of ASSETS assets (default 1,000,000; words
# drawn by a Zipf-Mandelbrot law from a 6,000-word vocabulary): load time, p50/p99/max
# latency of 2–3 word queries taken from random assets, which index answered
# them and how long the first search took to build it, the index's own size,
# peak RSS. Appends the row to bench/results.md.
#
# MODE=candidates times library matching's candidates() instead (5–10 word
# prompts, any term, top 25, no total): p50/p99/max latency and the average
# number of candidates.
#
#   [MODE=candidates] bench/search.sh [ASSETS] [QUERIES]
set -euo pipefail
cd "$(dirname "$0")/.."
assets=${1:-1000000}
queries=${2:-1000}
cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DAIGATE_BUILD_TESTS=OFF -DAIGATE_BUILD_BENCH=ON >/dev/null
cmake --build build/bench -j"$(nproc)" --target search_bench >/dev/null
data=${BENCH_DATA:-build/bench/search-zm-$assets}
mode=${MODE:-search}
row=$(build/bench/bench/search_bench "$data" "$assets" "$queries" "$mode")
if [ "$mode" = candidates ]; then
  header="| assets | index | prompts | p50 ms | p99 ms | max ms | avg candidates |"
  rule="|---|---|---|---|---|---|---|"
  command="MODE=candidates bench/search.sh $assets $queries"
else
  header="| assets | load | load s | index | index build s | p50 ms | p99 ms | max ms | avg hits | index MiB | peak RSS MiB |"
  rule="|---|---|---|---|---|---|---|---|---|---|---|"
  command="bench/search.sh $assets $queries"
fi
echo "$header"
echo "$rule"
echo "$row"
{
  echo
  echo "$mode, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(git rev-parse --short HEAD): \`$command\`"
  echo
  echo "$header"
  echo "$rule"
  echo "$row"
} >>bench/results.md
