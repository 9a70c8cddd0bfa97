#include "CFFmpeg.h"
#include <errno.h>
#include <stdio.h>

int cffmpeg_averror(int posix_errno) { return AVERROR(posix_errno); }
int cffmpeg_averror_eof(void) { return AVERROR_EOF; }
int cffmpeg_averror_eagain(void) { return AVERROR(EAGAIN); }
int cffmpeg_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
int cffmpeg_averror_decoder_not_found(void) { return AVERROR_DECODER_NOT_FOUND; }
int64_t cffmpeg_nopts_value(void) { return AV_NOPTS_VALUE; }
void cffmpeg_strerror(int code, char *buf, size_t size) {
    if (size == 0) return;
    if (av_strerror(code, buf, size) < 0) snprintf(buf, size, "FFmpeg error %d", code);
}
void cffmpeg_set_log_level(int level) { av_log_set_level(level); }
