# Shared by the bench scripts (sourced, from the repository's root): the
# Release build, the gateway's bench configuration and user, and the record
# in bench/results.md.

# bench_build TARGET…: configures build/release and builds the targets.
bench_build() {
  cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DAIGATE_BUILD_TESTS=OFF >/dev/null
  cmake --build build/release -j"$(nproc)" --target "$@" >/dev/null
}

# bench_config FILE DATA_DIR [YAML]: a gateway configuration for benchmarks:
# a durable ledger (synchronous=full), tiers whose limits never refuse a
# bench request, a pack that makes the bench user a Scale user with credits
# for any run, no request log lines; YAML (more top-level keys) is appended.
bench_config() {
  cat >"$1" <<YAML
data_dir: $2
server: {threads: 2}
store: {synchronous: full, reader_mmap_mb: ${MMAP_MB:-0}}
tiers:
  - {name: free,  level: 0, requests_per_minute: 100000000, concurrent_generations: 1000}
  - {name: scale, level: 3, requests_per_minute: 100000000, concurrent_generations: 1000}
packs:
  - {name: scale, credits: 1000000000, price_usd: 1, tier: scale}
log: {requests: false}
${3:-}
YAML
}

# bench_user BIN CONFIG: creates the bench user; prints its API key.
bench_user() {
  local key
  key=$("$1" admin user create --email bench@aigate.local --pack scale --json --config "$2" |
    sed -n 's/.*"api_key": *"\([^"]*\)".*/\1/p')
  [ -n "$key" ] || { echo "bench: could not create the bench user" >&2; return 1; }
  echo "$key"
}

# bench_record TITLE < TEXT: appends TEXT to bench/results.md under
# "TITLE, date, cores, commit".
bench_record() {
  {
    echo
    echo "$1, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(git rev-parse --short HEAD)${2:+: \`$2\`}"
    echo
    cat
  } >>bench/results.md
}
