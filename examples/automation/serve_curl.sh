#!/usr/bin/env bash
# minimax-cover serve from the shell: price, start a job (upload), poll, download the takes.
# Start the service first:  minimax-cover serve --port 8000   (add --token T beyond loopback)
# Usage: BASE=http://127.0.0.1:8000 TOKEN=... ./serve_curl.sh song.mp3
set -euo pipefail
BASE="${BASE:-http://127.0.0.1:8000}"
SONG="${1:?usage: $0 SONG}"
AUTH=()
[ -n "${TOKEN:-}" ] && AUTH=(-H "Authorization: Bearer $TOKEN")
REQUEST='{"positivePrompt": "warm acoustic folk, brushed drums", "numberResults": 2}'

# 1. What would it cost? (a dry run: nothing uploaded to the model, run or charged)
curl -sS "${AUTH[@]}" -F "song=@$SONG" -F "request=$REQUEST;type=application/json" \
  "$BASE/v1/covers:price"; echo

# 2. Start the job: 202 and {"id", "status"} at once. A retry with the same key is the same job.
JOB=$(curl -sS "${AUTH[@]}" -H "Idempotency-Key: $(basename "$SONG")-folk-2" \
  -F "song=@$SONG" -F "request=$REQUEST;type=application/json" "$BASE/v1/covers")
ID=$(printf '%s' "$JOB" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
echo "job $ID"

# 3. Poll until it is final (queued, running -> succeeded | failed | canceled | unknown | paid-not-saved).
while :; do
  DOC=$(curl -sS "${AUTH[@]}" "$BASE/v1/covers/$ID")
  STATUS=$(printf '%s' "$DOC" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
  case "$STATUS" in queued|running) sleep 2 ;; *) break ;; esac
done
echo "$DOC"

# 4. Download the takes.
printf '%s' "$DOC" | python3 -c 'import json,sys; [print(f["url"]) for f in json.load(sys.stdin)["files"]]' |
while read -r URL; do
  curl -sS "${AUTH[@]}" -OJ "$BASE$URL"
done
