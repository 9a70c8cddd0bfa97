#!/usr/bin/env bash
# Regenerates Tests/PipelineTests/Fixtures (needs the ffmpeg CLI). RAVDESS speech from samples/
# (CC BY-NC-SA, see samples/README.md) over a synthetic test pattern: a clip with speech but no face.
set -euo pipefail
cd "$(dirname "$0")/.."
out=Tests/PipelineTests/Fixtures
mkdir -p "$out"
ffmpeg -v error -y -f lavfi -i testsrc2=s=320x240:r=15:d=4 -i samples/03-01-05-02-01-01-01.flac \
  -map 0:v -map 1:a -shortest -c:v libx264 -preset veryfast -crf 35 -pix_fmt yuv420p -c:a aac -b:a 32k \
  -movflags +faststart "$out/testpattern_with_speech.mp4"
