#!/bin/sh
# Side-by-side benchmark: release `emotiond bench` vs the Python reference pipeline on the same
# clips, one after the other, then BENCHMARKS.md (bench/report.py). Run from anywhere.
#
# Environment:
#   AUDIO_MODEL   audio model file (default: models/audio-emotion.safetensors)
#   ITERATIONS    timed runs per clip (default 5)
#   SPEECH_CLIPS  RAVDESS speech FLACs added, one per actor (default 10)
#   DATA          data directory (default ../shared/data)
#   SKIP_BUILD=1  use the existing release build
#   OUT           Markdown file to write (default BENCHMARKS.md)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
AUDIO_MODEL=${AUDIO_MODEL:-models/audio-emotion.safetensors}
ITERATIONS=${ITERATIONS:-5}
SPEECH_CLIPS=${SPEECH_CLIPS:-10}
DATA=${DATA:-../shared/data}
OUT=${OUT:-BENCHMARKS.md}
run=$(mktemp -d "${TMPDIR:-/tmp}/emotiond-bench.XXXXXX")
echo "bench: run directory $run"

if [ ! -f "$AUDIO_MODEL" ]; then
    echo "bench: audio model $AUDIO_MODEL not found; set AUDIO_MODEL (see README: emotiond train audio)" >&2
    exit 1
fi
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    swift build -c release
fi
bin=$(swift build -c release --show-bin-path)/emotiond
[ -x bench/reference/.venv/bin/python ] || bench/reference/setup.sh

# The clip list, shared by both pipelines: samples/, the RAVDESS videos, one speech FLAC per actor.
clips=""
seen=" "
for f in samples/*.mp4 samples/*.wav samples/*.flac samples/*.mp3 "$DATA"/ravdess-video/*.mp4; do
    # samples/ holds copies of some RAVDESS videos: measure each file name once.
    [ -f "$f" ] || continue
    case $seen in *" $(basename "$f") "*) continue;; esac
    seen="$seen$(basename "$f") "
    clips="$clips $f"
done
n=0
for actor in "$DATA"/ravdess-speech/Actor_*; do
    [ -d "$actor" ] || continue
    [ "$n" -lt "$SPEECH_CLIPS" ] || break
    f=$(ls "$actor"/03-01-0"$((2 + n % 7))"-02-01-01-*.flac 2>/dev/null | head -n 1)
    [ -n "$f" ] && clips="$clips $f"
    n=$((n + 1))
done

cpus=$(nproc)
model=$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)
cores=$(lscpu | sed -n 's/^Core(s) per socket: *//p' | head -n 1)
load_before=$(cut -d' ' -f1 /proc/loadavg)
echo "bench: load before $load_before; Swift ($ITERATIONS iterations)..."
# shellcheck disable=SC2086
broker_args=""
if command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ]; then
    # A private broker on a free local port, so the publish stage is timed (QoS 1 until PUBACK).
    mosq=$(command -v mosquitto || echo /usr/sbin/mosquitto)
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "$mosq" -p "$port" > "$run/mosquitto.log" 2>&1 &
    mosq_pid=$!
    trap 'kill "$mosq_pid" 2>/dev/null || true' EXIT
    sleep 0.5
    broker_args="--broker 127.0.0.1:$port"
fi
# shellcheck disable=SC2086
"$bin" bench --json --gemm --iterations "$ITERATIONS" --audio-model "$AUDIO_MODEL" $broker_args --clips $clips > "$run/swift.json"
echo "bench: Python reference..."
# shellcheck disable=SC2086
bench/reference/.venv/bin/python bench/reference/pipeline.py --threads 1 --iterations "$ITERATIONS" \
    --audio-model "$AUDIO_MODEL" --facial-model-dir models $clips > "$run/python.json"
# A fer-style variant (Haar on full 640x360 frames, no tracking) on the AV clips only.
av_clips=""
for f in $clips; do
    case $f in *.mp4) ffprobe -v error -select_streams a -show_entries stream=index -of csv=p=0 "$f" | grep -q . && av_clips="$av_clips $f";; esac
done
echo "bench: Python reference, fer-style face detection..."
# shellcheck disable=SC2086
bench/reference/.venv/bin/python bench/reference/pipeline.py --threads 1 --iterations "$ITERATIONS" --full-frame-faces \
    --audio-model "$AUDIO_MODEL" --facial-model-dir models $av_clips > "$run/python-fullframe.json"
load_after=$(cut -d' ' -f1 /proc/loadavg)

# ffmpeg's own decode of one AV clip and one audio clip (utime/stime/rtime from -benchmark).
echo "bench: ffmpeg -benchmark..."
av_clip=$(for f in $clips; do case $f in *.mp4) if ffprobe -v error -select_streams a -show_entries stream=index -of csv=p=0 "$f" | grep -q .; then echo "$f"; break; fi;; esac; done)
audio_clip=$(for f in $clips; do case $f in *.flac) echo "$f"; break;; esac; done)
printf '[' > "$run/ffmpeg.json"
sep=""
for clip in $av_clip $audio_clip; do
    for threads in 1 auto; do
        cmd="ffmpeg -benchmark -threads $threads -i $(basename "$clip") -f null -"
        line=$(ffmpeg -hide_banner -nostdin -benchmark -threads "$threads" -i "$clip" -f null - 2>&1 | grep 'bench: utime' | tail -n 1)
        u=$(echo "$line" | sed -n 's/.*utime=\([0-9.]*\)s.*/\1/p')
        s=$(echo "$line" | sed -n 's/.*stime=\([0-9.]*\)s.*/\1/p')
        r=$(echo "$line" | sed -n 's/.*rtime=\([0-9.]*\)s.*/\1/p')
        printf '%s{"clip":"%s","command":"%s","utime_ms":%s,"stime_ms":%s,"rtime_ms":%s}' "$sep" "$clip" "$cmd" \
            "$(echo "$u * 1000" | bc)" "$(echo "$s * 1000" | bc)" "$(echo "$r * 1000" | bc)" >> "$run/ffmpeg.json"
        sep=","
    done
done
echo ']' >> "$run/ffmpeg.json"

cat > "$run/machine.json" <<EOF
{"model": "$model", "cpus": $cpus, "cores_per_socket": "$cores", "load_before": "$load_before",
 "load_after": "$load_after", "date": "$(date -u '+%Y-%m-%d %H:%M UTC')",
 "swift": "$(swift --version 2>&1 | head -n 1 | sed 's/"/\\"/g')", "audio_model": "$(basename "$AUDIO_MODEL")",
 "commit": "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"}
EOF
[ -f bench/findings.md ] && cp bench/findings.md "$run/findings.md"
python3 bench/report.py "$run" "$OUT"
grep -A6 '^## Targets' "$OUT"
grep '^Fused emotion agrees' "$OUT"
