#!/usr/bin/env bash
# End-to-end benchmark through a broker: a private mosquitto on 127.0.0.1, `emotiond serve` with
# 1 and then 2 workers, and bench/e2e/loadgen.py publishing clips and timing publish -> event
# (HdrHistogram). Writes its section of BENCHMARKS.md (between the e2e markers). Loopback only;
# every load is bounded by a clip count and a timeout.
#
# Environment: COUNT (clips per saturation run, default 60), SKIP_BUILD=1, OUT (default BENCHMARKS.md)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
COUNT=${COUNT:-60}
OUT=${OUT:-BENCHMARKS.md}
[ "${SKIP_BUILD:-0}" = 1 ] || swift build -c release
bin=$(swift build -c release --show-bin-path)/emotiond
[ -x bench/reference/.venv/bin/python ] || bench/reference/setup.sh
py=bench/reference/.venv/bin/python
work=$(mktemp -d /tmp/emotiond-e2e.XXXXXX)
broker="" daemon=""
cleanup() { [ -n "$daemon" ] && kill -KILL "$daemon" 2>/dev/null; [ -n "$broker" ] && kill "$broker" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT

port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\n%s\n' \
    "$port" "$([ "$(id -u)" = 0 ] && echo 'user root')" > "$work/mosquitto.conf"
/usr/sbin/mosquitto -c "$work/mosquitto.conf" > "$work/mosquitto.log" 2>&1 &
broker=$!
sleep 0.5

av=samples/01-01-07-02-02-01-01.mp4
audio=samples/03-01-05-02-01-01-01.flac
rows=""
for workers in 1 2; do
    for kind in av audio; do
        clip=$([ $kind = av ] && echo $av || echo $audio)
        state="$work/state-$workers-$kind"
        mkdir -p "$state"
        "$bin" serve --set mqtt.port="$port" --set mqtt.client_id="e2e-$workers-$kind" \
            --set workers.count="$workers" --set workers.queue_capacity=1000 \
            --set store.path="$state/db.sqlite" --set spool.dir="$state/spool" \
            --set outputs.homeassistant.enabled=false \
            --set models.audio="$root/models/audio-emotion.safetensors" \
            --set models.facial="$root/models/fer_mini_xception.f32.safetensors" 2> "$state/daemon.log" &
        daemon=$!
        sleep 3
        kill -0 "$daemon" 2>/dev/null || { echo "e2e: the daemon did not start:" >&2; cat "$state/daemon.log" >&2; exit 1; }
        # Saturation: every clip at once; throughput = clips / time to the last event.
        sat=$($py bench/e2e/loadgen.py --port "$port" --clips "$clip" --count "$COUNT" --timeout 600)
        rate=$($py -c "import json,sys; print(round(json.loads(sys.argv[1])['throughput_clips_per_s'] * 0.7, 2))" "$sat")
        [ "$rate" != "0.0" ] || { echo "e2e: no events came back: $sat" >&2; tail "$state/daemon.log" >&2; exit 1; }
        # Sustained at 70 % of that: the latency a device sees when the daemon keeps up.
        sus=$($py bench/e2e/loadgen.py --port "$port" --clips "$clip" --count "$COUNT" --rate "$rate" --timeout 600)
        rss=$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$daemon/status")
        kill -TERM "$daemon"; wait "$daemon" || true; daemon=""
        rows+=$($py - "$workers" "$kind" "$sat" "$sus" "$rss" <<'PY'
import json, sys
w, kind, sat, sus, rss = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4]), sys.argv[5]
l = sus["latency_ms"]; ls = sat["latency_ms"]
print(f"| {w} | {'4 s AV 640x480 (MP4)' if kind == 'av' else '4 s speech (FLAC)'} | {sat['throughput_clips_per_s']} | "
      f"{ls['p50']} / {ls['p99']} | {sus['rate']} | {sus['throughput_clips_per_s']} | {l['p50']} / {l['p99']} / {l['max']} | "
      f"{sat['events'] + sus['events']} / {sat['errors'] + sus['errors']} / {sat['missing'] + sus['missing']} | {rss} |")
PY
)$'\n'
    done
done

section=$(cat <<MD
<!-- e2e:start -->
## End to end through the broker (\`bench/e2e.sh\`)

A private mosquitto on loopback, \`emotiond serve\` (release) with 1 or 2 workers, and
bench/e2e/loadgen.py publishing the same clip $COUNT times over MQTT v5 QoS 1 (user property
clip-id, 4 devices). Latency = publish to the emotion event arriving at a subscriber, recorded in
an HdrHistogram (ms). *Saturation*: all clips at once, throughput = clips / time to the last event.
*Sustained*: open-loop publishing at 70 % of the saturation rate. Peak RSS = the daemon's VmHWM.
Run on $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1 /proc/loadavg) at the end.

| workers | clip | saturation clips/s | saturation latency p50 / p99 | sustained rate | sustained clips/s | sustained latency p50 / p99 / max | events / errors / missing | peak RSS MB |
| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${rows}
<!-- e2e:end -->
MD
)
$py - "$OUT" "$section" <<'PY'
import re, sys
path, section = sys.argv[1], sys.argv[2]
text = open(path).read() if __import__("os").path.exists(path) else "# Benchmarks\n"
if "<!-- e2e:start -->" in text:
    text = re.sub(r"<!-- e2e:start -->.*<!-- e2e:end -->", lambda m: section.strip(), text, flags=re.S)
else:
    text = text.rstrip() + "\n\n" + section.strip() + "\n"
open(path, "w").write(text)
PY
echo "e2e: wrote the end-to-end section of $OUT"
