#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for AIGate, then runs it or its tests.
#
#   ./dev.sh serve   install packages, build, run the gateway on 127.0.0.1:8080
#                    (SQLite in ./data, built-in config) and print a demo key
#   ./dev.sh test    install packages, build with ASan/UBSan and -Werror,
#                    run every test
#
# Environment: AIGATE_LISTEN (default 127.0.0.1:8080), AIGATE_DATA (./data),
# AIGATE_ADMIN_TOKEN (default: a random token kept in $AIGATE_DATA/admin_token).
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages the build, the tests and the gateway need.
PACKAGES=(
  cmake g++ make pkg-config ccache ca-certificates curl
  libpistache-dev libboost-dev libyaml-cpp-dev nlohmann-json3-dev
  libcurl4-openssl-dev libsqlitecpp-dev libsqlite3-dev libssl-dev
  libcli11-dev catch2
  ffmpeg libpng-dev libjpeg62-turbo-dev
  libavcodec-dev libavformat-dev libavutil-dev
  libsodium-dev
)
# What the client examples (examples/clients/) need, for their tests.
TEST_PACKAGES=(jq php-cli php-curl python3-requests)
# Only the tests need these too: promtool (Debian package prometheus) checks
# the /metrics output.
TEST_PACKAGES+=(prometheus)

install_packages() {  # install_packages [PACKAGE…] (default: PACKAGES)
  local missing=() p
  [ $# -gt 0 ] || set -- "${PACKAGES[@]}"
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "dev.sh: installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

build() {
  local dir=$1
  shift
  cmake -S . -B "$dir" "$@" >/dev/null
  cmake --build "$dir" -j"$(nproc)"
}

json_field() {  # json_field NAME < json: the string value of "NAME"
  sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p" | head -n 1
}

serve() {
  install_packages
  build build/release -DCMAKE_BUILD_TYPE=Release -DAIGATE_BUILD_TESTS=OFF
  local bin=build/release/core/aigate
  local data=${AIGATE_DATA:-./data}
  local listen=${AIGATE_LISTEN:-127.0.0.1:8080}
  mkdir -p "$data"

  if [ -z "${AIGATE_ADMIN_TOKEN:-}" ]; then
    if [ ! -s "$data/admin_token" ]; then
      (umask 077 && head -c 32 /dev/urandom | base64 | tr -d '/+=\n' >"$data/admin_token")
    fi
    export AIGATE_ADMIN_TOKEN_FILE="$data/admin_token"
  fi

  # The starter library: drawn once into the data dir, imported every run
  # (re-importing is a no-op for files already in the library).
  if [ ! -s "$data/starter/manifest.jsonl" ]; then
    echo "dev.sh: drawing the starter library into $data/starter (about a minute, once)"
    build/release/core/library/starter/aigate-starter-gen "$data/starter"
  fi
  "$bin" library import "$data/starter" --data "$data" >/dev/null

  # A demo user on the Scale pack, so that every feature can be tried; a new
  # key each run, since keys are shown once and stored only as hashes.
  local out key
  if out=$("$bin" admin user create --email demo@aigate.local --pack scale --json --data "$data" 2>/dev/null); then
    key=$(json_field api_key <<<"$out")
  else
    out=$("$bin" admin key create --user demo@aigate.local --name demo --json --data "$data")
    key=$(json_field api_key <<<"$out")
  fi
  cat <<MSG

  AIGate demo user: demo@aigate.local (Scale pack)
  API key (shown once):  $key
  Admin token:           ${AIGATE_ADMIN_TOKEN:+from \$AIGATE_ADMIN_TOKEN}${AIGATE_ADMIN_TOKEN_FILE:-}

  Try it:
    curl -s http://$listen/api/v1/me -H "Authorization: Bearer $key"
    curl -s "http://$listen/api/v1/search?q=sunset+city&limit=3" -H "Authorization: Bearer $key"
    curl -s http://$listen/api/v1/generate/image -H "Authorization: Bearer $key" \\
      -d '{"prompt":"a lake below snowy mountains","aspect_ratio":"9:16"}'

  Generate (offline, with the local procedural renderer; force_gen skips the library):
    curl -s http://$listen/api/v1/generate/image -H "Authorization: Bearer $key" \\
      -d '{"prompt":"a red fox in the snow","aspect_ratio":"16:9","force_gen":true}'
    curl -s http://$listen/api/v1/generate/video -H "Authorization: Bearer $key" \\
      -d '{"prompt":"ocean waves at sunset","force_gen":true}'
    curl -s http://$listen/api/v1/jobs/JOB_ID -H "Authorization: Bearer $key"

MSG
  exec "$bin" serve --listen "$listen" --data "$data"
}

# The official provider SDKs from npm (tests/conformance/package.json) that the
# conformance tests run against our fake providers. Without them those tests
# only warn, so a registry hiccup does not fail the run.
install_conformance_sdks() {
  command -v npm >/dev/null 2>&1 || install_packages nodejs npm
  npm install --prefix tests/conformance --no-audit --no-fund --loglevel=error >/dev/null ||
    echo "dev.sh: warning: npm install failed; the SDK conformance tests will be skipped" >&2
}

run_tests() {
  install_packages
  install_packages "${TEST_PACKAGES[@]}"
  install_conformance_sdks
  build build/test -DCMAKE_BUILD_TYPE=Debug -DAIGATE_SANITIZE=ON -DAIGATE_WERROR=ON
  ctest --test-dir build/test -j"$(nproc)" --output-on-failure
}

case "${1:-}" in
  serve) serve ;;
  test) run_tests ;;
  *)
    echo "usage: ./dev.sh serve | ./dev.sh test" >&2
    exit 2
    ;;
esac
