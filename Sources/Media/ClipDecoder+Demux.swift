import CFFmpeg

/// Presentation span of one stream, measured from its packets rather than taken from headers
/// (which a sender controls and which fragmented MP4 or MPEG-TS often lack).
struct StreamTiming {
    var timeBase = AVRational(num: 0, den: 1)
    /// Smallest presentation timestamp of a packet that is shown.
    var first: Int64?
    /// Largest `pts + duration` of a packet that is shown.
    var end: Int64?
    /// Packets that will be shown (edit-list discards excluded): about the frame count.
    var packetCount = 0

    var durationSeconds: Double {
        guard let first, let end, end > first else { return 0 }
        return LibAV.seconds(from: first, to: end, timeBase)
    }

    mutating func record(_ packet: AVPacket) {
        guard packet.flags & AV_PKT_FLAG_DISCARD == 0 else { return }
        packetCount += 1
        let pts = packet.pts != LibAV.noTimestamp ? packet.pts : packet.dts
        guard pts != LibAV.noTimestamp else { return }
        first = min(first ?? pts, pts)
        // Both come from the payload; a packet ending past Int64.max ends at Int64.max (and is
        // then refused as too long) instead of trapping on overflow.
        let (packetEnd, overflow) = pts.addingReportingOverflow(max(0, packet.duration))
        end = max(end ?? pts, overflow ? .max : packetEnd)
    }
}

/// Packets of the selected streams plus what was measured while reading them.
struct DemuxedStreams {
    let audio = PacketList()
    let video = PacketList()
    var audioTiming = StreamTiming()
    var videoTiming = StreamTiming()
    /// The error that ended reading early, if it was not a clean end of file.
    var readStatus: Int32?
}

extension ClipDecoder {
    /// Reads every packet of the selected streams into memory, enforcing the duration,
    /// frame-count and stream-count limits as packets arrive.
    ///
    /// A read error after some packets (a file cut at the end) ends the stream there: what
    /// was received is still decoded, as a player would.
    func demux(_ format: UnsafeMutablePointer<AVFormatContext>, audioIndex: Int?, videoIndex: Int?) throws -> DemuxedStreams {
        var result = DemuxedStreams()
        if let audioIndex { result.audioTiming.timeBase = format.pointee.streams[audioIndex]!.pointee.time_base }
        if let videoIndex { result.videoTiming.timeBase = format.pointee.streams[videoIndex]!.pointee.time_base }
        let packet = try Packet()
        while true {
            let status = av_read_frame(format, packet.pointer)
            if status == LibAV.eof { break }
            if status == LibAV.again { continue }
            if status < 0 { result.readStatus = status; break }
            defer { av_packet_unref(packet.pointer) }
            // MPEG-TS and others may announce new streams mid-file.
            try checkStreamCount(format)
            let index = Int(packet.pointer.pointee.stream_index)
            if index == videoIndex {
                result.videoTiming.record(packet.pointer.pointee)
                if result.videoTiming.packetCount > limits.maxVideoFrames {
                    throw MediaError(.tooLong, "more than \(limits.maxVideoFrames) video frames")
                }
                try checkMeasured(result.videoTiming, "video")
                try result.video.append(movingFrom: packet.pointer)
            } else if index == audioIndex {
                result.audioTiming.record(packet.pointer.pointee)
                try checkMeasured(result.audioTiming, "audio")
                try result.audio.append(movingFrom: packet.pointer)
            }
        }
        return result
    }

    private func checkMeasured(_ timing: StreamTiming, _ kind: String) throws {
        let seconds = timing.durationSeconds
        if seconds > durationCeiling {
            throw MediaError(.tooLong, String(format: "%@ runs longer than %.1f s (%.1f s read so far)", kind, limits.maxDurationSeconds, seconds))
        }
    }
}
