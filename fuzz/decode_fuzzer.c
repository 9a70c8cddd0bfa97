/*
 * libFuzzer harness for the clip decode entry point of emotiond (Sources/Media/ClipDecoder).
 *
 * WHY a C re-implementation: the Swift module cannot be linked into a libFuzzer binary
 * without building the whole package with -sanitize=fuzzer; what the network reaches is
 * FFmpeg, and this file drives FFmpeg through the same steps and with the same settings as
 * ClipDecoder.decode (checked against Sources/Media/{ClipDecoder,ContainerProbe,LibAV}.swift):
 *
 *   1. empty / > 16 MiB payloads refused before FFmpeg sees a byte;
 *   2. av_probe_input_format3 over the first 1 MiB (zero padded), score > AVPROBE_SCORE_MAX/4,
 *      demuxer name on the whitelist mov,matroska,mpegts,ogg,wav,flac,mp3;
 *   3. custom read/seek AVIO over the memory buffer (32 KiB buffer), AVFMT_FLAG_CUSTOM_IO,
 *      avformat_open_input with format_whitelist, protocol_whitelist "", codec_whitelist
 *      (DecodeLimits.commonCodecs) and max_streams 64;
 *   4. stream count <= 8, avformat_find_stream_info with max_pixels and threads=1 per stream;
 *   5. first audio and first non-attached-picture video stream, decoders looked up and held to
 *      the codec whitelist, max_pixels 4096*2304, one thread;
 *   6. every packet decoded; audio resampled to mono float 16 kHz (libswresample), video
 *      frames scaled to RGB24 at most 640 px wide (libswscale).
 *
 * Every outcome other than a crash, a sanitizer report, a leak or a timeout is fine: the
 * fuzzer looks for memory errors, not for decode success.
 */
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BYTES (16 * 1024 * 1024)
#define PROBE_BYTES (1 << 20)
#define MAX_STREAMS 8
#define MAX_PIXELS (4096 * 2304)
#define MAX_PACKETS 20000

static const char *FORMAT_WHITELIST = "flac,matroska,mov,mp3,mpegts,ogg,wav";
static const char *ACCEPTED[] = {"mov", "matroska", "mpegts", "ogg", "wav", "flac", "mp3", NULL};
static const char *CODEC_WHITELIST =
    "h264,hevc,vp8,vp9,av1,libdav1d,mpeg4,mpeg2video,mpeg1video,mjpeg,theora,"
    "aac,mp3,mp3float,mp2,mp2float,opus,libopus,vorbis,flac,alac,ac3,eac3,pcm_s16le,pcm_s16be,"
    "pcm_s24le,pcm_s24be,pcm_s32le,pcm_s32be,pcm_f32le,pcm_f32be,pcm_f64le,pcm_u8,pcm_alaw,pcm_mulaw";

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t pos;
} MemoryReader;

static int read_cb(void *opaque, uint8_t *buf, int size) {
    MemoryReader *r = opaque;
    if (size <= 0) return AVERROR(EINVAL);
    size_t available = r->size - r->pos;
    if (available == 0) return AVERROR_EOF;
    size_t n = available < (size_t)size ? available : (size_t)size;
    memcpy(buf, r->data + r->pos, n);
    r->pos += n;
    return (int)n;
}

static int64_t seek_cb(void *opaque, int64_t offset, int whence) {
    MemoryReader *r = opaque;
    if (whence & AVSEEK_SIZE) return (int64_t)r->size;
    int64_t base;
    switch (whence & ~AVSEEK_FORCE) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = (int64_t)r->pos; break;
    case SEEK_END: base = (int64_t)r->size; break;
    default: return AVERROR(EINVAL);
    }
    int64_t target = base + offset;
    if (target < 0 || target > (int64_t)r->size) return AVERROR(EINVAL);
    r->pos = (size_t)target;
    return target;
}

static const AVInputFormat *probe(const uint8_t *data, size_t size) {
    size_t n = size < PROBE_BYTES ? size : PROBE_BYTES;
    uint8_t *padded = calloc(n + AVPROBE_PADDING_SIZE, 1);
    if (!padded) return NULL;
    memcpy(padded, data, n);
    AVProbeData pd = {.filename = "", .buf = padded, .buf_size = (int)n, .mime_type = NULL};
    int score = 0;
    const AVInputFormat *format = av_probe_input_format3(&pd, 1, &score);
    free(padded);
    if (!format || score <= AVPROBE_SCORE_MAX / 4) return NULL;
    size_t len = strcspn(format->name, ",");
    for (const char **a = ACCEPTED; *a; a++) {
        if (strlen(*a) == len && strncmp(format->name, *a, len) == 0) return format;
    }
    return NULL;
}

static int codec_allowed(const char *name) {
    size_t len = strlen(name);
    const char *p = CODEC_WHITELIST;
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n == len && strncmp(p, name, n) == 0) return 1;
        p += n;
        if (*p == ',') p++;
    }
    return 0;
}

static AVCodecContext *open_decoder(AVStream *stream) {
    const AVCodec *codec = avcodec_find_decoder(stream->codecpar->codec_id);
    if (!codec || !codec_allowed(codec->name)) return NULL;
    AVCodecContext *ctx = avcodec_alloc_context3(codec);
    if (!ctx) return NULL;
    if (avcodec_parameters_to_context(ctx, stream->codecpar) < 0) {
        avcodec_free_context(&ctx);
        return NULL;
    }
    ctx->pkt_timebase = stream->time_base;
    ctx->thread_count = 1;
    ctx->max_pixels = MAX_PIXELS;
    if (avcodec_open2(ctx, codec, NULL) < 0) avcodec_free_context(&ctx);
    return ctx;
}

typedef struct {
    SwrContext *swr;
    struct SwsContext *sws;
    float pcm[16384];
    uint8_t *rgb;
    size_t rgb_size;
} Converters;

static void consume_audio(Converters *c, AVCodecContext *ctx, AVFrame *frame) {
    if (!c->swr) {
        AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
        if (frame->ch_layout.nb_channels <= 0 || frame->sample_rate <= 0) return;
        if (swr_alloc_set_opts2(&c->swr, &mono, AV_SAMPLE_FMT_FLT, 16000, &frame->ch_layout,
                                (enum AVSampleFormat)frame->format, frame->sample_rate, 0, NULL) < 0 ||
            swr_init(c->swr) < 0) {
            swr_free(&c->swr);
            return;
        }
    }
    uint8_t *out[1] = {(uint8_t *)c->pcm};
    swr_convert(c->swr, out, (int)(sizeof c->pcm / sizeof c->pcm[0]), (const uint8_t **)frame->extended_data,
                frame->nb_samples);
    (void)ctx;
}

static void consume_video(Converters *c, AVFrame *frame) {
    if (frame->width <= 0 || frame->height <= 0 || (int64_t)frame->width * frame->height > MAX_PIXELS) return;
    int w = frame->width > 640 ? 640 : frame->width;
    int h = (int)((int64_t)frame->height * w / frame->width);
    if (h <= 0) h = 1;
    c->sws = sws_getCachedContext(c->sws, frame->width, frame->height, (enum AVPixelFormat)frame->format, w, h,
                                  AV_PIX_FMT_RGB24, SWS_BILINEAR, NULL, NULL, NULL);
    if (!c->sws) return;
    size_t need = (size_t)w * h * 3;
    if (need > c->rgb_size) {
        free(c->rgb);
        c->rgb = malloc(need);
        c->rgb_size = c->rgb ? need : 0;
        if (!c->rgb) return;
    }
    uint8_t *dst[1] = {c->rgb};
    int stride[1] = {w * 3};
    sws_scale(c->sws, (const uint8_t *const *)frame->data, frame->linesize, 0, frame->height, dst, stride);
}

static void drain(AVCodecContext *ctx, AVFrame *frame, Converters *c, int audio) {
    while (avcodec_receive_frame(ctx, frame) >= 0) {
        if (audio) consume_audio(c, ctx, frame);
        else consume_video(c, frame);
        av_frame_unref(frame);
    }
}

/// One decode, as ClipDecoder.decode does it; returns 0 on success, a negative value on refusal.
static int decode_clip(const uint8_t *data, size_t size) {
    if (size == 0 || size > MAX_BYTES) return -1;
    const AVInputFormat *format = probe(data, size);
    if (!format) return -2;

    MemoryReader reader = {data, size, 0};
    int result = -3;
    AVFormatContext *fmt = NULL;
    AVCodecContext *actx = NULL, *vctx = NULL;
    AVPacket *packet = NULL;
    AVFrame *frame = NULL;
    Converters conv = {0};
    AVDictionary *options = NULL;
    AVDictionary **per_stream = NULL;
    unsigned per_stream_count = 0;

    uint8_t *buffer = av_malloc(32 * 1024);
    if (!buffer) return -3;
    AVIOContext *io = avio_alloc_context(buffer, 32 * 1024, 0, &reader, read_cb, NULL, seek_cb);
    if (!io) {
        av_free(buffer);
        return -3;
    }
    fmt = avformat_alloc_context();
    if (!fmt) goto done;
    fmt->pb = io;
    fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    av_dict_set(&options, "format_whitelist", FORMAT_WHITELIST, 0);
    av_dict_set(&options, "protocol_whitelist", "", 0);
    av_dict_set(&options, "codec_whitelist", CODEC_WHITELIST, 0);
    av_dict_set(&options, "max_streams", "64", 0);
    if (avformat_open_input(&fmt, NULL, format, &options) < 0) {
        fmt = NULL; /* freed by FFmpeg */
        result = -4;
        goto done;
    }
    if (fmt->nb_streams > MAX_STREAMS) { result = -5; goto done; }
    per_stream_count = fmt->nb_streams;
    per_stream = calloc(per_stream_count ? per_stream_count : 1, sizeof *per_stream);
    if (!per_stream) goto done;
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        av_dict_set(&per_stream[i], "max_pixels", "9437184", 0);
        av_dict_set(&per_stream[i], "threads", "1", 0);
    }
    if (avformat_find_stream_info(fmt, per_stream) < 0) { result = -6; goto done; }
    if (fmt->nb_streams > MAX_STREAMS) { result = -5; goto done; }

    int audio = -1, video = -1;
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        AVStream *s = fmt->streams[i];
        if (s->codecpar->codec_type == AVMEDIA_TYPE_AUDIO && audio < 0) audio = (int)i;
        else if (s->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && video < 0 && !(s->disposition & AV_DISPOSITION_ATTACHED_PIC))
            video = (int)i;
    }
    for (unsigned i = 0; i < fmt->nb_streams; i++)
        if ((int)i != audio && (int)i != video) fmt->streams[i]->discard = AVDISCARD_ALL;
    if (audio < 0 && video < 0) { result = -7; goto done; }
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        AVCodecParameters *p = fmt->streams[i]->codecpar;
        if (p->codec_type == AVMEDIA_TYPE_VIDEO && ((int64_t)p->width * p->height > MAX_PIXELS || p->width > 4096 || p->height > 2304)) {
            result = -8;
            goto done;
        }
    }
    if (audio >= 0 && !(actx = open_decoder(fmt->streams[audio]))) { result = -9; goto done; }
    if (video >= 0 && !(vctx = open_decoder(fmt->streams[video]))) { result = -9; goto done; }

    packet = av_packet_alloc();
    frame = av_frame_alloc();
    if (!packet || !frame) goto done;
    int packets = 0;
    while (av_read_frame(fmt, packet) >= 0 && packets++ < MAX_PACKETS) {
        if (packet->stream_index == audio && actx) {
            if (avcodec_send_packet(actx, packet) >= 0) drain(actx, frame, &conv, 1);
        } else if (packet->stream_index == video && vctx) {
            if (avcodec_send_packet(vctx, packet) >= 0) drain(vctx, frame, &conv, 0);
        }
        av_packet_unref(packet);
    }
    if (actx) { avcodec_send_packet(actx, NULL); drain(actx, frame, &conv, 1); }
    if (vctx) { avcodec_send_packet(vctx, NULL); drain(vctx, frame, &conv, 0); }
    result = 0;

done:
    av_dict_free(&options);
    if (per_stream) {
        for (unsigned i = 0; i < per_stream_count; i++) av_dict_free(&per_stream[i]);
        free(per_stream);
    }
    av_packet_free(&packet);
    av_frame_free(&frame);
    avcodec_free_context(&actx);
    avcodec_free_context(&vctx);
    swr_free(&conv.swr);
    sws_freeContext(conv.sws);
    free(conv.rgb);
    if (fmt) avformat_close_input(&fmt);
    av_freep(&io->buffer);
    avio_context_free(&io);
    return result;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    av_log_set_level(AV_LOG_QUIET);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    decode_clip(data, size);
    return 0;
}
