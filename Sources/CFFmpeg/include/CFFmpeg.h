// Thin C layer over FFmpeg's libav* for Swift. Only what Swift cannot express lives here:
// function-like macros (AVERROR, av_err2str) and constants defined as casts or compound
// literals (AV_NOPTS_VALUE, AVERROR_INVALIDDATA) become small functions.
#ifndef CFFMPEG_H
#define CFFMPEG_H
#include <stdint.h>
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/opt.h>
#include <libavutil/channel_layout.h>
#include <libavutil/imgutils.h>
#include <libavutil/tx.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>

/// AVERROR(e) for a POSIX errno value.
int cffmpeg_averror(int posix_errno);
/// AVERROR_EOF.
int cffmpeg_averror_eof(void);
/// AVERROR(EAGAIN): the codec wants more input / has no output yet.
int cffmpeg_averror_eagain(void);
/// AVERROR_INVALIDDATA.
int cffmpeg_averror_invaliddata(void);
/// AVERROR_DECODER_NOT_FOUND.
int cffmpeg_averror_decoder_not_found(void);
/// AV_NOPTS_VALUE ("no timestamp").
int64_t cffmpeg_nopts_value(void);
/// Writes av_strerror's text for `code` into `buf` (always NUL-terminated).
void cffmpeg_strerror(int code, char *buf, size_t size);
/// Sets FFmpeg's global log level (AV_LOG_QUIET = -8, AV_LOG_ERROR = 16 ...).
void cffmpeg_set_log_level(int level);
#endif
