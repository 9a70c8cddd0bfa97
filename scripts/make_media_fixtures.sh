#!/usr/bin/env bash
# Generates the small media fixtures committed in Tests/MediaTests/Fixtures.
# Run once from the package root (needs the ffmpeg CLI); the outputs are committed, tests never
# call ffmpeg. Everything comes from lavfi sources (testsrc2 pattern, sine tones): no third-party
# content. Sizes are kept tiny (the whole folder stays well under 1 MB).
#
# Audio in the A/V clips is a 440 Hz sine so tests can check that the pitch survives resampling.
set -euo pipefail
out="${1:-Tests/MediaTests/Fixtures}"
mkdir -p "$out"
# -fflags +bitexact: no random Ogg serials or Matroska UIDs, so re-running gives the same bytes
# (except the VP8 clip: libvpx realtime rate control depends on timing).
# The last argument is the output file; the flag goes right before it.
ff() { ffmpeg -hide_banner -loglevel error -y "${@:1:$#-1}" -fflags +bitexact "${@: -1}"; }

vid="testsrc2=size=320x240:rate=25:duration=2"
aud="sine=frequency=440:sample_rate=48000:duration=2"
x264=(-c:v libx264 -preset veryfast -crf 38 -pix_fmt yuv420p -g 25)

# MP4 (H.264 + AAC): moov first (faststart), moov last (ffmpeg's default), fragmented.
ff -f lavfi -i "$vid" -f lavfi -i "$aud" "${x264[@]}" -c:a aac -b:a 48k -movflags +faststart "$out/av_faststart.mp4"
ff -f lavfi -i "$vid" -f lavfi -i "$aud" "${x264[@]}" -c:a aac -b:a 48k "$out/av_moov_end.mp4"
ff -f lavfi -i "$vid" -f lavfi -i "$aud" "${x264[@]}" -g 10 -c:a aac -b:a 48k \
   -movflags frag_keyframe+empty_moov+default_base_moof "$out/av_fragmented.mp4"
# Matroska (MPEG-4 part 2 + FLAC at 22.05 kHz).
ff -f lavfi -i "$vid" -f lavfi -i "sine=frequency=440:sample_rate=22050:duration=2" \
   -c:v mpeg4 -q:v 31 -c:a flac "$out/av_mpeg4_flac.mkv"
# WebM: VP9 + Opus and VP8 + Vorbis.
ff -f lavfi -i "$vid" -f lavfi -i "$aud" -c:v libvpx-vp9 -b:v 80k -deadline realtime -cpu-used 8 \
   -c:a libopus -b:a 32k "$out/av_vp9_opus.webm"
ff -f lavfi -i "$vid" -f lavfi -i "sine=frequency=440:sample_rate=44100:duration=2" \
   -c:v libvpx -b:v 80k -deadline realtime -cpu-used 8 -c:a libvorbis -q:a 0 "$out/av_vp8_vorbis.webm"
# MPEG-TS (H.264 + AAC).
ff -f lavfi -i "$vid" -f lavfi -i "$aud" "${x264[@]}" -c:a aac -b:a 48k "$out/av_h264_aac.ts"

# Audio only: OGG Vorbis, OGG Opus, WAV (stereo 1 kHz, exercises the downmix), FLAC, MP3.
ff -f lavfi -i "sine=frequency=440:sample_rate=44100:duration=2" -c:a libvorbis -q:a 0 "$out/audio_vorbis.ogg"
ff -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=2" -c:a libopus -b:a 24k "$out/audio_opus.ogg"
ff -f lavfi -i "sine=frequency=1000:sample_rate=22050:duration=1" -ac 2 -c:a pcm_s16le "$out/audio_stereo_1khz.wav"
ff -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=1.5" -c:a flac "$out/audio_sine.flac"
ff -f lavfi -i "sine=frequency=440:sample_rate=44100:duration=2" -c:a libmp3lame -b:a 32k "$out/audio_sine.mp3"
# M4A (AAC in an audio-only MP4) and an MP3 carrying cover art (a PNG "video" stream marked
# attached_pic, which must not count as video).
ff -f lavfi -i "sine=frequency=440:sample_rate=44100:duration=1" -c:a aac -b:a 32k "$out/audio_aac.m4a"
ff -f lavfi -i "sine=frequency=440:sample_rate=44100:duration=1" -f lavfi -i "testsrc2=size=32x32:rate=1:duration=1" \
   -map 0:a -map 1:v -frames:v 1 -c:a libmp3lame -b:a 32k -c:v png -disposition:v attached_pic -id3v2_version 3 \
   "$out/audio_with_cover.mp3"

# Video only, portrait 540x960, 12 frames (fewer than 22; longer side is the height).
ff -f lavfi -i "testsrc2=size=540x960:rate=12:duration=1" -c:v libx264 -preset veryfast -crf 45 \
   -pix_fmt yuv420p "$out/video_only_portrait.mp4"

# Width not a multiple of 16 (360x120, as one RAVDESS clip): the unscaled YUV->RGB path writes whole SIMD blocks.
ff -f lavfi -i "testsrc2=size=360x120:rate=10:duration=1" -c:v libx264 -preset veryfast -crf 45 \
   -pix_fmt yuv420p "$out/video_360x120.mp4"

# Hostile-ish inputs.
# Resolution change mid-stream: 160x120 then 320x240, as two MPEG-TS files joined byte-wise
# (the header says 160x120; only decoding reveals the larger frames).
part1="$(mktemp --suffix=.ts)"; part2="$(mktemp --suffix=.ts)"
ff -f lavfi -i "testsrc2=size=160x120:rate=10:duration=0.5" -c:v libx264 -preset veryfast -crf 45 -pix_fmt yuv420p "$part1"
ff -f lavfi -i "testsrc2=size=320x240:rate=10:duration=0.5" -c:v libx264 -preset veryfast -crf 45 -pix_fmt yuv420p \
   -output_ts_offset 0.5 "$part2"
cat "$part1" "$part2" > "$out/resolution_change.ts"
rm -f "$part1" "$part2"
# Ten audio streams in one Matroska audio file (limit default is 8).
ff -f lavfi -i "sine=frequency=440:sample_rate=8000:duration=0.2" \
   $(for _ in $(seq 10); do printf -- '-map 0:a '; done) -c:a flac "$out/ten_audio_streams.mka"
# Containers outside the whitelist: AVI (MJPEG), PNG and GIF images.
ff -f lavfi -i "testsrc2=size=64x48:rate=5:duration=0.4" -c:v mjpeg -q:v 20 "$out/unsupported.avi"
ff -f lavfi -i "testsrc2=size=32x24:rate=1:duration=1" -frames:v 1 "$out/image.png"
ff -f lavfi -i "testsrc2=size=32x24:rate=1:duration=1" -frames:v 1 "$out/image.gif"

# A container with no audio or video: Matroska holding only a subtitle track.
srt="$(mktemp --suffix=.srt)"
printf '1\n00:00:00,000 --> 00:00:01,000\nno media here\n' > "$srt"
ff -i "$srt" -c:s srt "$out/subtitles_only.mkv"
rm -f "$srt"

ls -l "$out"
du -sh "$out"
