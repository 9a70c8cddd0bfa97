#!/usr/bin/env bash
# emotiond demo: the README's main job, end to end on this machine.
#
#   release build (if missing) -> local mosquitto on 127.0.0.1:<free port> -> emotiond serve
#   (temporary config, state and spool) -> every media file in samples/ published to
#   emotiond/in/demo-<n>/clip -> the events printed as they come back -> SIGTERM drain.
#
# Exit status 0 only if every sample produced exactly one emotion event.
#
# Environment:
#   EMOTIOND_BIN           emotiond binary (default .build/release/emotiond, built if missing)
#   EMOTIOND_MQTT_HOST     use this broker instead of starting one (EMOTIOND_MQTT_PORT, default 1883)
#   EMOTIOND_MODELS_AUDIO  audio model (default models/audio-emotion.safetensors); any other
#                          EMOTIOND_<KEY> variable reaches the daemon too (docs/OPERATIONS.md)
#   DEMO_TIMEOUT_S         how long to wait for the results (default 120)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BIN=${EMOTIOND_BIN:-$ROOT/.build/release/emotiond}
TIMEOUT=${DEMO_TIMEOUT_S:-120}
WORK=$(mktemp -d /tmp/emotiond-demo.XXXXXX)
BROKER_PID="" DAEMON_PID="" SUB_PID=""

if [ -t 1 ]; then B=$'\033[1m' N=$'\033[0m' JQ="jq -C ."; else B="" N="" JQ="jq ."; fi
say() { printf '%s== %s%s\n' "$B" "$*" "$N" >&2; }

cleanup() {
    local status=$?
    [ -n "$SUB_PID" ] && kill "$SUB_PID" 2>/dev/null || true
    [ -n "$DAEMON_PID" ] && kill -KILL "$DAEMON_PID" 2>/dev/null || true
    [ -n "$BROKER_PID" ] && kill "$BROKER_PID" 2>/dev/null || true
    wait 2>/dev/null || true
    if [ "$status" -ne 0 ]; then
        echo "demo failed (status $status); logs kept in $WORK" >&2
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

for tool in mosquitto_pub mosquitto_sub; do
    command -v "$tool" >/dev/null || { echo "missing $tool: run 'sudo make deps'" >&2; exit 1; }
done
if [ ! -x "$BIN" ]; then
    say "release build"
    swift build -c release --product emotiond
fi
AUDIO_MODEL=${EMOTIOND_MODELS_AUDIO:-$ROOT/models/audio-emotion.safetensors}
if [ ! -r "$AUDIO_MODEL" ]; then
    echo "no audio model at $AUDIO_MODEL (train one: emotiond train audio --help, or set EMOTIOND_MODELS_AUDIO)" >&2
    exit 1
fi

# --- broker --------------------------------------------------------------------------------
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [ -n "${EMOTIOND_MQTT_HOST:-}" ]; then
    HOST=$EMOTIOND_MQTT_HOST
    PORT=${EMOTIOND_MQTT_PORT:-1883}
    say "using the broker at $HOST:$PORT"
else
    command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || { echo "missing mosquitto: run 'sudo make deps'" >&2; exit 1; }
    MOSQUITTO=$(command -v mosquitto || echo /usr/sbin/mosquitto)
    HOST=127.0.0.1
    for attempt in $(seq 1 20); do
        PORT=$((20000 + RANDOM % 40000))
        port_in_use "$PORT" && continue
        {
            echo "listener $PORT 127.0.0.1"
            echo "allow_anonymous true"
            echo "persistence false"
            [ "$(id -u)" = 0 ] && echo "user root"
        } > "$WORK/mosquitto.conf"
        "$MOSQUITTO" -c "$WORK/mosquitto.conf" > "$WORK/mosquitto.log" 2>&1 &
        BROKER_PID=$!
        for _ in $(seq 1 50); do
            port_in_use "$PORT" && break
            kill -0 "$BROKER_PID" 2>/dev/null || break
            sleep 0.1
        done
        port_in_use "$PORT" && break
        kill "$BROKER_PID" 2>/dev/null || true
        BROKER_PID=""
    done
    [ -n "$BROKER_PID" ] || { echo "could not start mosquitto (see $WORK/mosquitto.log)" >&2; exit 1; }
    say "mosquitto on $HOST:$PORT"
fi

# --- daemon --------------------------------------------------------------------------------
mkdir -p "$WORK/state"
cat > "$WORK/emotiond.yaml" <<YAML
mqtt:
  host: $HOST
  port: $PORT
  client_id: emotiond-demo-$$
store:
  path: $WORK/state/emotiond.sqlite
spool:
  dir: $WORK/state/spool
models:
  audio: $AUDIO_MODEL
  facial: $ROOT/models/fer_mini_xception.f32.safetensors
state:
  episode_min_clips: 1
outputs:
  stats_interval_s: 5
  homeassistant:
    enabled: false
drain_timeout_s: 10
YAML

# The subscriber starts first so nothing is missed; inputs are filtered out (binary media).
mosquitto_sub -h "$HOST" -p "$PORT" -V 5 -q 1 -t 'emotiond/#' -T 'emotiond/in/#' -F '%t %p' > "$WORK/events.log" 2>&1 &
SUB_PID=$!

say "emotiond serve (logs: $WORK/daemon.log)"
"$BIN" serve --config "$WORK/emotiond.yaml" 2> "$WORK/daemon.log" &
DAEMON_PID=$!
for _ in $(seq 1 300); do
    grep -q '^emotiond/available online' "$WORK/events.log" && break
    kill -0 "$DAEMON_PID" 2>/dev/null || { cat "$WORK/daemon.log" >&2; exit 1; }
    sleep 0.1
done
grep -q '^emotiond/available online' "$WORK/events.log" || { echo "daemon did not come online" >&2; cat "$WORK/daemon.log" >&2; exit 1; }

# --- publish the samples -------------------------------------------------------------------
SAMPLES=()
for f in samples/*; do
    case "$f" in *.md|*.txt) continue ;; esac
    [ -f "$f" ] && SAMPLES+=("$f")
done
[ "${#SAMPLES[@]}" -gt 0 ] || { echo "no samples in samples/" >&2; exit 1; }
n=0
for f in "${SAMPLES[@]}"; do
    n=$((n + 1))
    say "publish $f -> emotiond/in/demo-$n/clip"
    mosquitto_pub -h "$HOST" -p "$PORT" -V 5 -q 1 -t "emotiond/in/demo-$n/clip" \
        -D publish user-property clip-id "$(basename "$f")" -f "$f"
done

# --- collect -------------------------------------------------------------------------------
count() { grep -cE "^emotiond/demo-[0-9]+/$1 " "$WORK/events.log" || true; }
errors() { grep -c '^emotiond/errors ' "$WORK/events.log" || true; }
deadline=$((SECONDS + TIMEOUT))
while [ $(( $(count emotion) + $(errors) )) -lt "${#SAMPLES[@]}" ] && [ $SECONDS -lt $deadline ]; do
    sleep 0.2
done

say "stopping emotiond (SIGTERM drains, then publishes offline)"
kill -TERM "$DAEMON_PID"
status=0
wait "$DAEMON_PID" || status=$?
DAEMON_PID=""
sleep 0.3
kill "$SUB_PID" 2>/dev/null || true
wait "$SUB_PID" 2>/dev/null || true
SUB_PID=""

# --- print ---------------------------------------------------------------------------------
pretty() { if command -v jq >/dev/null; then $JQ 2>/dev/null || cat; else cat; echo; fi; }
field() { grep -o "\"$1\":[^,}]*" | head -1 | cut -d: -f2- | tr -d '"'; }
say "events"
while IFS= read -r line; do
    topic=${line%% *}
    payload=${line#* }
    case "$topic" in
        */emotion)
            printf '%s%s%s  %s %s  [%s]\n' "$B" "$topic" "$N" "$(field emotion <<<"$payload")" \
                "$(field confidence <<<"$payload" | cut -c1-4)" \
                "$(grep -o '"modalities_used":\[[^]]*\]' <<<"$payload" | cut -d: -f2 | tr -d '[]"')"
            pretty <<<"$payload" ;;
        emotiond/events|emotiond/errors|*/state)
            printf '%s%s%s\n' "$B" "$topic" "$N"; pretty <<<"$payload" ;;
        *)
            printf '%s%s%s %s\n' "$B" "$topic" "$N" "$(cut -c1-200 <<<"$payload")" ;;
    esac
done < "$WORK/events.log"

got=$(count emotion)
say "summary: ${#SAMPLES[@]} samples, $got emotion events, $(errors) error events, daemon exit status $status"
"$BIN" stats --db "$WORK/state/emotiond.sqlite" --bucket 1h --since 1h || true
if [ "$got" -ne "${#SAMPLES[@]}" ] || [ "$status" -ne 0 ]; then
    echo "FAILED: expected one emotion event per sample and a clean exit" >&2
    exit 1
fi
for i in $(seq 1 "${#SAMPLES[@]}"); do
    c=$(grep -c "^emotiond/demo-$i/emotion " "$WORK/events.log" || true)
    [ "$c" -eq 1 ] || { echo "FAILED: demo-$i has $c emotion events" >&2; exit 1; }
done
say "OK"
