#include "CFFmpeg.h"

int cffmpeg_averror(int posix_errno) { return AVERROR(posix_errno); }
int cffmpeg_averror_eof(void) { return AVERROR_EOF; }
void cffmpeg_strerror(int code, char *buf, size_t size) {
    if (size == 0) return;
    if (av_strerror(code, buf, size) < 0) snprintf(buf, size, "FFmpeg error %d", code);
}
