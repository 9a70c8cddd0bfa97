import CFFmpeg

extension ClipDecoder {
    /// Decodes the video packets in order and keeps ``DecodeOptions/videoFrameCount`` frames
    /// evenly spaced over `durationSeconds`.
    ///
    /// Reference frames are always decoded (later frames depend on them); non-reference frames
    /// are dropped by the decoder unless they are among the frames to keep, which are chosen
    /// from packet timestamps beforehand (see ``DecodeOptions/skipNonReferenceFrames``). Only
    /// the kept frames pay for RGB conversion. Each decoded frame's size is checked, since a
    /// bitstream can change resolution mid-stream.
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
        var keep: Set<Int64>?
        if options.skipNonReferenceFrames {
            let shown = packets.packets.filter { $0.pointee.flags & AV_PKT_FLAG_DISCARD == 0 }.map(\.pointee.pts)
            keep = sampler.timestampsToKeep(shown, origin: origin, timeBase: timeBase)
        }
        let prepare: (UnsafeMutablePointer<AVCodecContext>, UnsafeMutablePointer<AVPacket>) -> Void = { context, packet in
            let needed = keep.map { $0.contains(packet.pointee.pts) } ?? true
            context.pointee.skip_frame = needed ? AVDISCARD_DEFAULT : AVDISCARD_NONREF
        }

        _ = try codec.decodeAll(packets, into: frame, prepare: prepare) { decoded in
            try checkResolution(width: Int(decoded.pointee.width), height: Int(decoded.pointee.height), what: "decoded")
            guard decoded.pointee.width > 0, decoded.pointee.height > 0 else { return }
            if serial >= limits.maxVideoFrames {
                throw MediaError(.tooLong, "more than \(limits.maxVideoFrames) decoded video frames")
            }
            var stamp = decoded.pointee.best_effort_timestamp
            if stamp == LibAV.noTimestamp { stamp = decoded.pointee.pts }
            let time = stamp == LibAV.noTimestamp ? Double(serial) * frameInterval : LibAV.seconds(from: origin, to: stamp, timeBase)
            try sampler.offer(decoded, time: time, serial: serial)
            serial += 1
        }
        try sampler.finish()
        return sampler.frames
    }
}
