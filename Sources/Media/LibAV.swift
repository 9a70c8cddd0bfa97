import CFFmpeg

// The one file that owns raw FFmpeg handles. Every handle lives in a small final class whose
// deinit frees it, so an early `throw` anywhere in the decoder releases everything without
// per-path cleanup code. None of these types is shared across threads: a ``ClipDecoder``
// call creates them, uses them on its own thread and drops them before returning.

/// FFmpeg status codes and global set-up.
enum LibAV {
    static let eof = cffmpeg_averror_eof()
    static let again = cffmpeg_averror_eagain()
    static let invalidData = cffmpeg_averror_invaliddata()
    /// AVERROR(ENOMEM): also what demuxers return when `avformat_new_stream` refuses a stream
    /// beyond the `max_streams` option.
    static let outOfMemory = cffmpeg_averror(ENOMEM)
    static let noTimestamp = cffmpeg_nopts_value()

    /// FFmpeg logs every oddity of hostile input to stderr; the daemon reports errors through
    /// `MediaError` instead, so the library is silenced once per process.
    static let silenceLogging: Void = { cffmpeg_set_log_level(AV_LOG_QUIET) }()

    /// av_strerror's text for a status code.
    static func describe(_ status: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 128)
        cffmpeg_strerror(status, &buffer, buffer.count)
        return String(cString: buffer)
    }

    /// `value` in `timeBase` units as seconds.
    static func seconds(_ value: Int64, _ timeBase: AVRational) -> Double {
        guard timeBase.den != 0 else { return 0 }
        return Double(value) * Double(timeBase.num) / Double(timeBase.den)
    }

    /// Seconds from timestamp `start` to timestamp `end` (both in `timeBase` units).
    ///
    /// The difference is taken in Double, not Int64: timestamps come from the payload (a
    /// Matroska cluster time is any 64-bit value), and `end - start` of two of them can
    /// overflow, which traps in checked builds and wraps to a wrong duration in -Ounchecked
    /// ones. Below 2^53 the Double difference is exact; above it, the lost precision does not
    /// matter to a duration that is refused as too long anyway.
    static func seconds(from start: Int64, to end: Int64, _ timeBase: AVRational) -> Double {
        guard timeBase.den != 0 else { return 0 }
        return (Double(end) - Double(start)) * Double(timeBase.num) / Double(timeBase.den)
    }
}

/// The payload as an AVIO source: FFmpeg pulls bytes through `read`/`seek` callbacks, so no
/// file, URL or protocol handler is ever involved.
final class MemoryReader {
    let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func read(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) -> Int32 {
        let available = bytes.count - position
        guard available > 0 else { return LibAV.eof }
        let n = min(available, capacity)
        bytes.withUnsafeBufferPointer { src in
            buffer.update(from: src.baseAddress! + position, count: n)
        }
        position += n
        return Int32(n)
    }

    func seek(offset: Int64, whence: Int32) -> Int64 {
        if whence & AVSEEK_SIZE != 0 { return Int64(bytes.count) }
        let base: Int64
        switch whence & ~AVSEEK_FORCE {
        case SEEK_SET: base = 0
        case SEEK_CUR: base = Int64(position)
        case SEEK_END: base = Int64(bytes.count)
        default: return Int64(cffmpeg_averror(EINVAL))
        }
        // `offset` is computed by FFmpeg from values in the payload: no Int64 overflow here.
        let (target, overflow) = base.addingReportingOverflow(offset)
        guard !overflow, target >= 0, target <= Int64(bytes.count) else { return Int64(cffmpeg_averror(EINVAL)) }
        position = Int(target)
        return target
    }
}

private let readCallback: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<UInt8>?, Int32) -> Int32 = {
    opaque, buffer, size in
    guard let opaque, let buffer, size > 0 else { return cffmpeg_averror(EINVAL) }
    return Unmanaged<MemoryReader>.fromOpaque(opaque).takeUnretainedValue().read(into: buffer, capacity: Int(size))
}

private let seekCallback: @convention(c) (UnsafeMutableRawPointer?, Int64, Int32) -> Int64 = { opaque, offset, whence in
    guard let opaque else { return Int64(cffmpeg_averror(EINVAL)) }
    return Unmanaged<MemoryReader>.fromOpaque(opaque).takeUnretainedValue().seek(offset: offset, whence: whence)
}

/// An opened demuxer over an in-memory payload (AVIOContext + AVFormatContext).
final class FormatInput {
    private let reader: MemoryReader
    private var io: UnsafeMutablePointer<AVIOContext>?
    private(set) var context: UnsafeMutablePointer<AVFormatContext>?

    init(_ bytes: [UInt8]) { reader = MemoryReader(bytes) }

    deinit {
        if context != nil { avformat_close_input(&context) }
        if let io {
            // FFmpeg may have replaced the buffer we gave it; free whatever it holds now.
            av_free(io.pointee.buffer)
            io.pointee.buffer = nil
        }
        avio_context_free(&io)
    }

    /// Opens the payload with exactly `format` (already identified by ``ContainerProbe``),
    /// refusing any other demuxer and any nested protocol.
    ///
    /// - Returns: 0 or the negative FFmpeg status of `avformat_open_input`.
    ///
    /// `probeSize` caps the bytes libavformat reads to learn stream parameters (its
    /// `probesize`, default 5 MB); nil keeps FFmpeg's default.
    func open(format: UnsafePointer<AVInputFormat>, formatWhitelist: String, codecWhitelist: String?, streamCap: Int,
              probeSize: Int? = nil) throws -> Int32 {
        let bufferSize = 32 * 1024
        guard let buffer = av_malloc(bufferSize)?.assumingMemoryBound(to: UInt8.self) else {
            throw MediaError(.internal, "cannot allocate the AVIO buffer")
        }
        let opaque = Unmanaged.passUnretained(reader).toOpaque()
        guard let io = avio_alloc_context(buffer, Int32(bufferSize), 0, opaque, readCallback, nil, seekCallback) else {
            av_free(buffer)
            throw MediaError(.internal, "cannot allocate the AVIO context")
        }
        self.io = io
        guard var context = avformat_alloc_context() else {
            throw MediaError(.internal, "cannot allocate the format context")
        }
        context.pointee.pb = io
        context.pointee.flags |= AVFMT_FLAG_CUSTOM_IO

        var options: OpaquePointer? = nil
        defer { av_dict_free(&options) }
        av_dict_set(&options, "format_whitelist", formatWhitelist, 0)
        // Nothing may be opened besides our AVIO context (no dref/URL following, no "concat").
        av_dict_set(&options, "protocol_whitelist", "", 0)
        if let codecWhitelist { av_dict_set(&options, "codec_whitelist", codecWhitelist, 0) }
        av_dict_set(&options, "max_streams", String(streamCap), 0)
        if let probeSize { av_dict_set(&options, "probesize", String(probeSize), 0) }
        var optional: UnsafeMutablePointer<AVFormatContext>? = context
        let status = avformat_open_input(&optional, nil, format, &options)
        // On failure FFmpeg frees the context and nils our pointer; the AVIO stays ours.
        self.context = optional
        if status >= 0, let opened = optional { context = opened }
        return status
    }
}

extension FormatInput {
    /// `avformat_find_stream_info` with the probing decoders held to the same pixel limit as
    /// ours (MPEG-TS only reveals frame sizes by decoding) and to one thread each, as FFmpeg
    /// does itself when no options are given.
    /// - Returns: FFmpeg's status.
    func findStreamInfo(maxPixels: Int) -> Int32 {
        guard let context else { return LibAV.invalidData }
        let count = Int(context.pointee.nb_streams)
        var perStream = [OpaquePointer?](repeating: nil, count: max(count, 1))
        defer { for i in perStream.indices { av_dict_free(&perStream[i]) } }
        for i in 0..<count {
            av_dict_set(&perStream[i], "max_pixels", String(maxPixels), 0)
            av_dict_set(&perStream[i], "threads", "1", 0)
        }
        return perStream.withUnsafeMutableBufferPointer { avformat_find_stream_info(context, $0.baseAddress) }
    }
}

/// An opened decoder.
final class CodecContext {
    private(set) var context: UnsafeMutablePointer<AVCodecContext>?

    init(stream: UnsafeMutablePointer<AVStream>, codec: UnsafePointer<AVCodec>, threads: Int, maxPixels: Int) throws {
        guard let context = avcodec_alloc_context3(codec) else {
            throw MediaError(.internal, "cannot allocate a decoder context")
        }
        self.context = context
        guard avcodec_parameters_to_context(context, stream.pointee.codecpar) >= 0 else {
            throw MediaError(.decodeFailed, "invalid codec parameters")
        }
        context.pointee.pkt_timebase = stream.pointee.time_base
        context.pointee.thread_count = Int32(max(1, threads))
        // The decoder itself refuses frames larger than this (bombs hidden in the bitstream).
        context.pointee.max_pixels = Int64(maxPixels)
        let status = avcodec_open2(context, codec, nil)
        guard status >= 0 else {
            throw MediaError(.decodeFailed, "cannot open the \(String(cString: codec.pointee.name)) decoder: \(LibAV.describe(status))")
        }
    }

    deinit { avcodec_free_context(&context) }
}

/// One reusable AVFrame.
final class Frame {
    let pointer: UnsafeMutablePointer<AVFrame>

    init() throws {
        guard let frame = av_frame_alloc() else { throw MediaError(.internal, "cannot allocate a frame") }
        pointer = frame
    }

    deinit {
        var frame: UnsafeMutablePointer<AVFrame>? = pointer
        av_frame_free(&frame)
    }
}

/// Demuxed packets of one stream, kept in memory so decoding can start once the whole
/// stream has been measured (the frame sampler needs the real duration up front).
final class PacketList {
    private(set) var packets: [UnsafeMutablePointer<AVPacket>] = []

    /// Takes over the data referenced by `packet` (which is left blank).
    func append(movingFrom packet: UnsafeMutablePointer<AVPacket>) throws {
        guard let copy = av_packet_alloc() else { throw MediaError(.internal, "cannot allocate a packet") }
        av_packet_move_ref(copy, packet)
        packets.append(copy)
    }

    var isEmpty: Bool { packets.isEmpty }

    deinit {
        for packet in packets {
            var p: UnsafeMutablePointer<AVPacket>? = packet
            av_packet_free(&p)
        }
    }
}

/// One reusable AVPacket.
final class Packet {
    let pointer: UnsafeMutablePointer<AVPacket>

    init() throws {
        guard let packet = av_packet_alloc() else { throw MediaError(.internal, "cannot allocate a packet") }
        pointer = packet
    }

    deinit {
        var packet: UnsafeMutablePointer<AVPacket>? = pointer
        av_packet_free(&packet)
    }
}

/// libswresample: any decoded audio to mono Float32 at a fixed rate. Reconfigures itself when
/// the input format changes mid-stream (allowed in several containers).
final class MonoResampler {
    private var context: OpaquePointer?
    private var inputRate: Int32 = 0
    private var inputFormat: Int32 = -1
    private var inputLayout = AVChannelLayout()
    private let outputRate: Int32
    private var scratch: [Float] = []

    init(outputRate: Int) { self.outputRate = Int32(outputRate) }

    deinit {
        swr_free(&context)
        av_channel_layout_uninit(&inputLayout)
    }

    /// Converts one decoded frame and appends the result to `output`.
    func convert(_ frame: UnsafeMutablePointer<AVFrame>, appendingTo output: inout [Float]) throws {
        var layout = AVChannelLayout()
        defer { av_channel_layout_uninit(&layout) }
        if frame.pointee.ch_layout.order == AV_CHANNEL_ORDER_UNSPEC || av_channel_layout_check(&frame.pointee.ch_layout) == 0 {
            // Some containers (raw WAV without a mask) give only a channel count.
            av_channel_layout_default(&layout, max(1, frame.pointee.ch_layout.nb_channels))
        } else if av_channel_layout_copy(&layout, &frame.pointee.ch_layout) < 0 {
            throw MediaError(.internal, "cannot copy a channel layout")
        }
        if context == nil || frame.pointee.sample_rate != inputRate || frame.pointee.format != inputFormat
            || av_channel_layout_compare(&layout, &inputLayout) != 0 {
            if context != nil { try drain(appendingTo: &output) }
            try configure(layout: &layout, format: frame.pointee.format, rate: frame.pointee.sample_rate)
        }
        let inputCount = frame.pointee.nb_samples
        let capacity = swr_get_out_samples(context, inputCount)
        guard capacity >= 0 else { throw MediaError(.internal, "resampler size query failed") }
        let converted = try run(input: frame.pointee.extended_data, count: inputCount, capacity: Int(capacity))
        output.append(contentsOf: scratch[0..<converted])
    }

    /// Flushes the samples buffered inside the resampler (its filter delay).
    func drain(appendingTo output: inout [Float]) throws {
        guard context != nil else { return }
        let capacity = swr_get_out_samples(context, 0)
        guard capacity > 0 else { return }
        let converted = try run(input: nil, count: 0, capacity: Int(capacity))
        output.append(contentsOf: scratch[0..<converted])
    }

    private func configure(layout: inout AVChannelLayout, format: Int32, rate: Int32) throws {
        swr_free(&context)
        var mono = AVChannelLayout()
        av_channel_layout_default(&mono, 1)
        defer { av_channel_layout_uninit(&mono) }
        var created: OpaquePointer? = nil
        let status = swr_alloc_set_opts2(&created, &mono, AV_SAMPLE_FMT_FLT, outputRate,
                                         &layout, AVSampleFormat(format), rate, 0, nil)
        context = created
        guard status >= 0, context != nil, swr_init(context) >= 0 else {
            throw MediaError(.decodeFailed, "cannot resample audio (\(rate) Hz, \(layout.nb_channels) channels)")
        }
        av_channel_layout_uninit(&inputLayout)
        _ = av_channel_layout_copy(&inputLayout, &layout)
        inputRate = rate
        inputFormat = format
    }

    private func run(input: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?, count: Int32, capacity: Int) throws -> Int {
        if scratch.count < capacity { scratch = [Float](repeating: 0, count: capacity) }
        let converted = scratch.withUnsafeMutableBytes { raw -> Int32 in
            var out: UnsafeMutablePointer<UInt8>? = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let source = UnsafeMutableRawPointer(input)?.assumingMemoryBound(to: UnsafePointer<UInt8>?.self)
            return swr_convert(context, &out, Int32(capacity), source, count)
        }
        guard converted >= 0 else { throw MediaError(.decodeFailed, "resampling failed: \(LibAV.describe(converted))") }
        return Int(converted)
    }
}

/// libswscale: decoded frames to packed RGB24 at a given size.
final class RGBScaler {
    private var context: OpaquePointer?
    private var buffer: UnsafeMutablePointer<UInt8>?
    private var bufferSize = 0

    deinit {
        sws_freeContext(context)
        av_free(buffer)
    }

    func rgb(from frame: UnsafeMutablePointer<AVFrame>, width: Int, height: Int) throws -> [UInt8] {
        let source = frame.pointee
        context = sws_getCachedContext(context, source.width, source.height, AVPixelFormat(source.format),
                                       Int32(width), Int32(height), AV_PIX_FMT_RGB24, SWS_BILINEAR, nil, nil, nil)
        guard context != nil else {
            throw MediaError(.decodeFailed, "cannot convert \(source.width)x\(source.height) pixel format \(source.format) to RGB")
        }
        // swscale's SIMD paths want aligned rows and write whole vector blocks, past the last
        // pixel of a row whose width is not a multiple of the block (seen with 360-wide video):
        // scale into a buffer with padded rows plus a spare row, then pack.
        let stride = (width * 3 + 64 + 63) & ~63
        let needed = stride * (height + 1)
        if bufferSize < needed {
            av_free(buffer)
            buffer = av_malloc(needed)?.assumingMemoryBound(to: UInt8.self)
            guard buffer != nil else { bufferSize = 0; throw MediaError(.internal, "cannot allocate an RGB buffer") }
            bufferSize = needed
        }
        var destination: [UnsafeMutablePointer<UInt8>?] = [buffer, nil, nil, nil]
        var destinationStride: [Int32] = [Int32(stride), 0, 0, 0]
        let rows = withUnsafePointer(to: &frame.pointee.data) { data in
            withUnsafePointer(to: &frame.pointee.linesize) { lines in
                data.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { planes in
                    lines.withMemoryRebound(to: Int32.self, capacity: 8) { strides in
                        sws_scale(context, planes, strides, 0, source.height, &destination, &destinationStride)
                    }
                }
            }
        }
        guard rows == Int32(height) else { throw MediaError(.decodeFailed, "scaling produced \(rows) of \(height) rows") }
        let rowBytes = width * 3
        let base = buffer!
        return [UInt8](unsafeUninitializedCapacity: rowBytes * height) { out, initialized in
            for y in 0..<height {
                (out.baseAddress! + y * rowBytes).update(from: base + y * stride, count: rowBytes)
            }
            initialized = rowBytes * height
        }
    }
}

extension CodecContext {
    /// Sends every packet and then the end-of-stream flush, handing each decoded frame to
    /// `body` (the frame is unreferenced right after).
    ///
    /// Corrupt packets are skipped rather than fatal, as players do; the caller decides from the
    /// returned count and the frames it saw whether the stream was usable.
    /// - Returns: how many packets or frames the decoder rejected.
    /// - Parameter prepare: called before each packet is sent, e.g. to set per-packet
    ///   `skip_frame` on the codec context.
    func decodeAll(_ packets: PacketList, into frame: Frame,
                   prepare: ((UnsafeMutablePointer<AVCodecContext>, UnsafeMutablePointer<AVPacket>) -> Void)? = nil,
                   _ body: (UnsafeMutablePointer<AVFrame>) throws -> Void) throws -> Int {
        guard let context else { return packets.packets.count }
        var rejected = 0
        func receive() throws {
            while true {
                let status = avcodec_receive_frame(context, frame.pointer)
                if status == LibAV.again || status == LibAV.eof { return }
                if status < 0 { rejected += 1; return }
                defer { av_frame_unref(frame.pointer) }
                try body(frame.pointer)
            }
        }
        for packet in packets.packets {
            prepare?(context, packet)
            var status = avcodec_send_packet(context, packet)
            if status == LibAV.again {
                try receive()
                status = avcodec_send_packet(context, packet)
            }
            if status < 0 { rejected += 1 }
            try receive()
        }
        context.pointee.skip_frame = AVDISCARD_DEFAULT
        _ = avcodec_send_packet(context, nil)
        try receive()
        return rejected
    }
}
