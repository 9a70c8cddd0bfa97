#!/bin/sh
# Builds fuzz/decode_fuzzer.c with libFuzzer + AddressSanitizer + UBSan (clang of the Swift
# toolchain, which ships libclang_rt.fuzzer) against the system FFmpeg, seeds a corpus from
# Tests/MediaTests/Fixtures and samples/, and fuzzes for a bounded time.
#
#   fuzz/run.sh [seconds=120] [jobs=1]
#
# Output: fuzz/out/ (binary, corpus growth, crash-* files, fuzz.log). Not part of CI.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
seconds=${1:-120}
jobs=${2:-1}
out="$here/out"
CLANG=${CLANG:-$(command -v clang || echo /opt/swift/usr/bin/clang)}
mkdir -p "$out/corpus" "$out/artifacts"

"$CLANG" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    "$here/decode_fuzzer.c" -o "$out/decode_fuzzer" \
    $(pkg-config --cflags --libs libavformat libavcodec libavutil libswresample libswscale) 2>&1 \
    | grep -v "Cannot export local symbol" || true
test -x "$out/decode_fuzzer"

# Seeds: every committed media fixture, the repository samples, and hostile seeds.
cp "$root"/Tests/MediaTests/Fixtures/*.* "$out/corpus/" 2>/dev/null || true
cp "$here"/seeds/* "$out/corpus/" 2>/dev/null || true
for f in "$root"/samples/*.mp4 "$root"/samples/*.wav "$root"/samples/*.flac "$root"/samples/*.mp3; do
    [ -f "$f" ] || continue
    # Large seeds slow libFuzzer down; keep the first 64 kB (also a truncation case).
    head -c 65536 "$f" > "$out/corpus/sample-$(basename "$f")"
done

# -rss_limit_mb: FFmpeg + ASan on hostile input; -timeout: one input may take at most 10 s.
# With -jobs, libFuzzer writes fuzz-<n>.log into the working directory: run inside out/.
cd "$out"
ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
"$out/decode_fuzzer" "$out/corpus" -max_total_time="$seconds" -jobs="$jobs" -workers="$jobs" \
    -max_len=262144 -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$out/artifacts/" \
    -print_final_stats=1 2>&1 | tee "$out/fuzz.log" | grep -E 'DONE|stat::|ERROR|SUMMARY|crash|pulse|INITED' || true
cat "$out"/fuzz-*.log 2>/dev/null | grep -E 'stat::|DONE|ERROR|SUMMARY' || true
echo "crashes: $(ls "$out/artifacts" | wc -l) (in $out/artifacts)"
