// Thin C layer over FFmpeg's libav* for Swift. Only what Swift cannot express lives here:
// function-like macros (AVERROR, av_err2str) become small functions.
#ifndef CFFMPEG_H
#define CFFMPEG_H
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/opt.h>
#include <libavutil/channel_layout.h>
#include <libavutil/imgutils.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>

/// AVERROR(e) for a POSIX errno value.
int cffmpeg_averror(int posix_errno);
/// AVERROR_EOF.
int cffmpeg_averror_eof(void);
/// Writes av_strerror's text for `code` into `buf` (always NUL-terminated).
void cffmpeg_strerror(int code, char *buf, size_t size);
#endif
