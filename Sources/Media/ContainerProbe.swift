import CFFmpeg

/// Identifies the container of a payload before any demuxer parses it.
///
/// FFmpeg's own probing runs over *all* demuxers and then the open is restricted to the
/// whitelist; probing ourselves lets us tell "this is an AVI/GIF/text, which we do not accept"
/// (`unsupported_container`) apart from "this is an MP4 whose `moov` atom is missing"
/// (`truncated_or_corrupt`), which matters to whoever reads the error events.
struct ContainerProbe {
    /// The demuxer that will open the payload.
    let format: UnsafePointer<AVInputFormat>
    /// Our short name for the container (see ``DecodedClip/container``).
    let container: String

    /// Demuxer names accepted from the network, as FFmpeg spells the first entry of each
    /// demuxer's name list (`mov` covers mov/mp4/m4a incl. fragmented MP4; `matroska` covers
    /// WebM).
    static let acceptedDemuxers: [String: String] = [
        "mov": "mp4", "matroska": "matroska", "mpegts": "mpegts", "ogg": "ogg",
        "wav": "wav", "flac": "flac", "mp3": "mp3",
    ]

    /// The `format_whitelist` handed to `avformat_open_input` as a second line of defence.
    static let formatWhitelist = acceptedDemuxers.keys.sorted().joined(separator: ",")

    /// Probe scores at or below this are not trusted (AVPROBE_SCORE_RETRY).
    static let minimumScore = AVPROBE_SCORE_MAX / 4

    /// Probe windows tried in turn, as FFmpeg's own `av_probe_input_buffer` escalates: most
    /// containers are certain from their first 2 KiB, and probing a whole clip costs more than
    /// decoding its audio (BENCHMARKS.md). The last window is FFmpeg's default probe size.
    static let probeWindows = [2 << 10, 16 << 10, 128 << 10, 1 << 20]

    static func detect(_ bytes: [UInt8]) throws -> ContainerProbe {
        for window in probeWindows {
            let size = min(bytes.count, window)
            var score: Int32 = 0
            let format = probe(bytes, size: size, score: &score)
            // Weak matches (score <= 25, FFmpeg's own "probe more" threshold) are what random
            // bytes get from lenient probes such as MP3 frame-sync scanning.
            if let format, score > minimumScore { return try accept(format, bytes) }
            if size == bytes.count { break }
        }
        throw MediaError(.unsupportedContainer, "not a recognised media container")
    }

    private static func probe(_ bytes: [UInt8], size: Int, score: inout Int32) -> UnsafePointer<AVInputFormat>? {
        // The probe buffer must be followed by AVPROBE_PADDING_SIZE zero bytes.
        var padded = [UInt8](repeating: 0, count: size + Int(AVPROBE_PADDING_SIZE))
        padded.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: bytes, count: size) }
        var result: Int32 = 0
        let format: UnsafePointer<AVInputFormat>? = padded.withUnsafeMutableBufferPointer { buffer in
            "".withCString { emptyName in
                var probe = AVProbeData(filename: emptyName, buf: buffer.baseAddress, buf_size: Int32(size), mime_type: nil)
                return av_probe_input_format3(&probe, 1, &result)
            }
        }
        score = result
        return format
    }

    private static func accept(_ format: UnsafePointer<AVInputFormat>, _ bytes: [UInt8]) throws -> ContainerProbe {
        let names = String(cString: format.pointee.name)
        let primary = String(names.split(separator: ",").first ?? "")
        guard let container = acceptedDemuxers[primary] else {
            throw MediaError(.unsupportedContainer, "container '\(names)' is not accepted (accepted: MP4/MOV, Matroska/WebM, MPEG-TS, OGG, WAV, FLAC, MP3)")
        }
        if container == "matroska", isWebM(bytes) {
            return ContainerProbe(format: format, container: "webm")
        }
        return ContainerProbe(format: format, container: container)
    }

    /// Whether the EBML header's DocType (element 0x4282) says "webm".
    private static func isWebM(_ bytes: [UInt8]) -> Bool {
        let header = bytes.prefix(64)
        let docType: [UInt8] = [0x42, 0x82]
        let webm = Array("webm".utf8)
        guard header.count > 8 else { return false }
        for i in header.startIndex..<(header.endIndex - 7) where Array(header[i..<i + 2]) == docType {
            // One size byte (0x84 for 4 bytes) follows the ID in practice.
            if Array(header[(i + 3)..<(i + 7)]) == webm { return true }
        }
        return false
    }
}
