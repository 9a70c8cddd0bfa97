#!/bin/sh
# Fuzzes the real Swift decode entry point (Media.ClipDecoder, as the pipeline calls it) with
# libFuzzer + AddressSanitizer for a bounded time.
#
#   fuzz/run.sh [seconds=120] [jobs=1]
#
# Build: the Swift toolchain's own `-sanitize=fuzzer,address` (libclang_rt.fuzzer ships in
# /opt/swift). SwiftPM is not used: a fuzzer binary needs every Media object instrumented and
# no `main` of its own, and a second package depending on this one would have to resolve the
# root's network dependencies. So the script compiles the three pieces directly, into
# fuzz/.build (never the package's .build):
#   1. Sources/CFFmpeg/shim.c with clang -fsanitize=fuzzer-no-link,address;
#   2. Sources/Media/*.swift as module `Media` (whole-module, -O with Swift's runtime checks
#      ON: a bounds or overflow trap here is memory corruption in the -Ounchecked release
#      build), against a module map for the CFFmpeg header;
#   3. fuzz/DecodeFuzzer.swift (-parse-as-library, @_cdecl LLVMFuzzerTestOneInput), linked
#      with the Debian FFmpeg libraries.
# Rebuilt only when one of those sources is newer than the binary.
#
# Corpus: fuzz/out/corpus (kept between runs, new units land there), read together with the
# seeds: Tests/MediaTests/Fixtures, fuzz/seeds and the first 64 kB of each samples/* clip.
# Findings land in fuzz/out/artifacts/ (crash-*, leak-*, timeout-*, oom-*); the log in
# fuzz/out/fuzz.log. Not part of CI. Reproduce one input: fuzz/.build/decode_fuzzer FILE
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
seconds=${1:-120}
jobs=${2:-1}
build="$here/.build"
out="$here/out"
SWIFTC=${SWIFTC:-$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)}
toolchain=$(dirname "$(readlink -f "$SWIFTC")")
CLANG=${CLANG:-$toolchain/clang}
binary="$build/decode_fuzzer"
mkdir -p "$build/CFFmpeg" "$out/corpus" "$out/artifacts" "$out/seeds"

stale() {
    [ ! -x "$binary" ] && return 0
    [ -n "$(find "$root/Sources/Media" "$root/Sources/CFFmpeg" "$here/DecodeFuzzer.swift" "$0" \
        -newer "$binary" -type f 2>/dev/null | head -n 1)" ]
}

if stale; then
    echo "building $binary"
    cat > "$build/CFFmpeg/module.modulemap" <<EOF
module CFFmpeg {
    header "$root/Sources/CFFmpeg/include/CFFmpeg.h"
    link "avformat"
    link "avcodec"
    link "avutil"
    link "swresample"
    link "swscale"
    export *
}
EOF
    # The linker's "Cannot export local symbol" notes about ASan's helpers are noise.
    "$CLANG" -O1 -g -fsanitize=fuzzer-no-link,address -I"$root/Sources/CFFmpeg/include" \
        -c "$root/Sources/CFFmpeg/shim.c" -o "$build/shim.o"
    "$SWIFTC" -O -g -sanitize=fuzzer,address -parse-as-library -wmo -swift-version 5 \
        -module-name Media -I "$build/CFFmpeg" \
        -emit-module -emit-module-path "$build/Media.swiftmodule" \
        -emit-object -o "$build/Media.o" "$root"/Sources/Media/*.swift
    "$SWIFTC" -O -g -sanitize=fuzzer,address -parse-as-library -swift-version 5 \
        -module-name DecodeFuzzer -I "$build" -I "$build/CFFmpeg" \
        "$here/DecodeFuzzer.swift" "$build/Media.o" "$build/shim.o" -o "$binary" 2>&1 \
        | grep -v "Cannot export local symbol" || true
    test -x "$binary"
fi

# Large seeds slow libFuzzer down; the first 64 kB of each sample is also a truncation case.
rm -f "$out"/seeds/*
for f in "$root"/samples/*.mp4 "$root"/samples/*.wav "$root"/samples/*.flac "$root"/samples/*.mp3; do
    [ -f "$f" ] || continue
    head -c 65536 "$f" > "$out/seeds/sample-$(basename "$f")"
done
seed_dirs="$root/Tests/MediaTests/Fixtures $out/seeds"
[ -n "$(ls "$here/seeds" 2>/dev/null)" ] && seed_dirs="$seed_dirs $here/seeds"

# -timeout: one input may take at most 10 s; -rss_limit_mb: FFmpeg + ASan on hostile input.
# allocator_may_return_null: FFmpeg checks its allocations, so a huge one it asks for on
# hostile input is answered with NULL (a typed error) rather than an ASan abort.
# The Swift runtime's own crash backtracer would race libFuzzer's handler (and can be left
# waiting on a dead process): libFuzzer and ASan report crashes here.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1:${ASAN_OPTIONS:-}"
export ASAN_SYMBOLIZER_PATH="${ASAN_SYMBOLIZER_PATH:-$toolchain/llvm-symbolizer}"
set -- "$out/corpus" $seed_dirs -max_total_time="$seconds" -max_len=262144 -timeout=10 \
    -rss_limit_mb=2048 -dict="$here/media.dict" -artifact_prefix="$out/artifacts/" -print_final_stats=1
cd "$out"
rm -f "$out"/fuzz-*.log
if [ "$jobs" -gt 1 ]; then
    # Each job writes fuzz-<n>.log into the working directory.
    "$binary" "$@" -jobs="$jobs" -workers="$jobs" > "$out/fuzz.log" 2>&1 || true
    cat "$out"/fuzz-*.log >> "$out/fuzz.log" 2>/dev/null || true
else
    "$binary" "$@" > "$out/fuzz.log" 2>&1 || true
fi
grep -E 'INITED|DONE|stat::|ERROR|SUMMARY|Test unit written' "$out/fuzz.log" || true
echo "findings: $(ls "$out/artifacts" | wc -l) (in $out/artifacts), log: $out/fuzz.log"
