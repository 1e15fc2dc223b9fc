#!/usr/bin/env bash
# AIGate from the shell, with curl and jq: who am I, search the library,
# get an image (library first), generate a video and poll its job, and the
# errors a client must handle: 402 (no credits), 403 (not in your tier) and
# 429 (slow down: wait Retry-After seconds, then send the same request again).
#
#   AIGATE_API_KEY=sk-aigate-... [AIGATE_BASE_URL=http://127.0.0.1:8080] ./curl.sh
set -euo pipefail

BASE=${AIGATE_BASE_URL:-http://127.0.0.1:8080}
BASE=${BASE%/}
KEY=${AIGATE_API_KEY:?set AIGATE_API_KEY to your sk-aigate-... key}
command -v jq >/dev/null || { echo "curl.sh needs jq (apt-get install jq)" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# api METHOD PATH [JSON_BODY [IDEMPOTENCY_KEY]]: sets STATUS and BODY. A 429
# is waited out (Retry-After) and the same request sent again.
api() {
  local method=$1 path=$2 data=${3:-} idem=${4:-} attempt wait
  local args=(-sS -X "$method" "$BASE$path" -H "Authorization: Bearer $KEY"
              -D "$TMP/headers" -o "$TMP/body" -w '%{http_code}')
  [ -n "$data" ] && args+=(-H 'Content-Type: application/json' --data "$data")
  [ -n "$idem" ] && args+=(-H "Idempotency-Key: $idem")
  for attempt in 1 2 3 4 5; do
    STATUS=$(curl "${args[@]}")
    BODY=$(cat "$TMP/body")
    [ "$STATUS" = 429 ] || return 0
    wait=$(tr -d '\r' <"$TMP/headers" | sed -n 's/^[Rr]etry-[Aa]fter: *\([0-9]*\).*/\1/p')
    wait=${wait:-1}
    echo "429: retried after $wait s"
    sleep "$wait"
  done
}

# fail: the reply is an error this script does not expect.
fail() {
  echo "error: $STATUS $(jq -r '.error + ": " + .message' <<<"$BODY")" >&2
  exit 1
}

# handled CONTEXT: prints how a 402 or 403 was handled; other errors fail.
handled() {
  case "$STATUS" in
    402) echo "$1: 402 insufficient_credits handled (needs $(jq -r .credits_needed <<<"$BODY")," \
              "have $(jq -r .credits_balance <<<"$BODY"); $(jq -r .hint <<<"$BODY"))" ;;
    403) echo "$1: 403 $(jq -r .error <<<"$BODY") handled (needs the" \
              "$(jq -r .required_tier <<<"$BODY") tier)" ;;
    *) fail ;;
  esac
}

new_key() { cat /proc/sys/kernel/random/uuid; }

api GET /api/v1/me
[ "$STATUS" = 200 ] || fail
echo "me: $(jq -r '"\(.email) tier=\(.tier) balance=\(.credits_balance)"' <<<"$BODY")"

api GET "/api/v1/search?q=sunset&type=image&limit=5"
[ "$STATUS" = 200 ] || fail
echo "search: $(jq -r '"\(.total) results for \"sunset\"" + (if .items[0] then " (first: \(.items[0].title))" else "" end)' <<<"$BODY")"

# One Idempotency-Key per generation: a retry can never charge twice.
api POST /api/v1/generate/image '{"prompt":"golden sunset over the ocean","aspect_ratio":"16:9"}' "$(new_key)"
if [ "$STATUS" = 200 ]; then
  echo "image: $(jq -r '"\(.asset.url) (source=\(.source), charged=\(.credits_charged))"' <<<"$BODY")"
else
  handled image
fi

api POST /api/v1/generate/video '{"prompt":"a paper boat drifting down a rainy street","aspect_ratio":"16:9"}' "$(new_key)"
case "$STATUS" in
  200) echo "video: $(jq -r '"\(.asset.url) (source=\(.source), charged=\(.credits_charged))"' <<<"$BODY")" ;;
  202)
    job=$(jq -r .job.id <<<"$BODY")
    echo "video: job $job $(jq -r .job.status <<<"$BODY"), polling"
    for _ in $(seq 1 300); do
      api GET "/api/v1/jobs/$job"
      [ "$STATUS" = 200 ] || fail
      status=$(jq -r .job.status <<<"$BODY")
      case "$status" in queued | running) sleep 1 ;; *) break ;; esac
    done
    if [ "$status" = succeeded ]; then
      echo "video: job $job succeeded: $(jq -r .job.asset.url <<<"$BODY")"
    else
      echo "video: job $job $status: $(jq -r '.job.error.message // "no result"' <<<"$BODY")"
    fi
    ;;
  *) handled video ;;
esac

api GET /api/v1/me
[ "$STATUS" = 200 ] || fail
echo "done: balance=$(jq -r .credits_balance <<<"$BODY")"
