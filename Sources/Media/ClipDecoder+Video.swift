import CFFmpeg

extension ClipDecoder {
    /// Decodes the video packets in order and keeps ``DecodeOptions/videoFrameCount`` frames
    /// evenly spaced over `durationSeconds`.
    ///
    /// Every frame is decoded (inter-frame codecs need their references anyway, and a 4 s clip
    /// decodes in tens of milliseconds); only the kept frames pay for RGB conversion. Each
    /// decoded frame's size is checked, since a bitstream can change resolution mid-stream.
    func decodeVideo(_ packets: PacketList, codec: CodecContext, stream: UnsafeMutablePointer<AVStream>,
                     timing: StreamTiming, durationSeconds: Double) throws -> [VideoFrame] {
        guard options.videoFrameCount > 0 else { return [] }
        let sampler = try VideoFrameSampler(count: options.videoFrameCount, durationSeconds: durationSeconds,
                                            expectedFrames: timing.packetCount, maxSide: options.maxFrameSide)
        let frame = try Frame()
        let timeBase = stream.pointee.time_base
        let origin = timing.first ?? 0
        // Fallback spacing for frames without timestamps.
        let frameInterval = timing.packetCount > 0 && durationSeconds > 0 ? durationSeconds / Double(timing.packetCount) : 0
        var serial = 0

        _ = try codec.decodeAll(packets, into: frame) { decoded in
            try checkResolution(width: Int(decoded.pointee.width), height: Int(decoded.pointee.height), what: "decoded")
            guard decoded.pointee.width > 0, decoded.pointee.height > 0 else { return }
            if serial >= limits.maxVideoFrames {
                throw MediaError(.tooLong, "more than \(limits.maxVideoFrames) decoded video frames")
            }
            var stamp = decoded.pointee.best_effort_timestamp
            if stamp == LibAV.noTimestamp { stamp = decoded.pointee.pts }
            let time = stamp == LibAV.noTimestamp ? Double(serial) * frameInterval : LibAV.seconds(stamp - origin, timeBase)
            try sampler.offer(decoded, time: time, serial: serial)
            serial += 1
        }
        try sampler.finish()
        return sampler.frames
    }
}
