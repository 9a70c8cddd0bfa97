import Foundation

/// Writes minimal Matroska files byte by byte, so tests can declare whatever a hostile sender
/// could declare (a 100,000 x 100,000 video, a 10-hour duration, hundreds of tracks) without an
/// encoder that would refuse to produce it.
///
/// The layout is the smallest one FFmpeg's Matroska demuxer reads:
///
///     EBML header (DocType "matroska" or "webm")
///     Segment
///       Info      TimestampScale, Duration (optional), MuxingApp, WritingApp
///       Tracks    one TrackEntry per ``Track`` (number = index + 1)
///       Cluster   Timestamp 0, then one SimpleBlock per ``Block``
///
/// There are no SeekHead, Cues or Tags: a demuxer reading from the start does not need them.
/// Sizes are written with the shortest EBML variable-length integer, so the bytes are
/// deterministic. Block payloads are copied as given: pass real codec frames (e.g. PCM
/// samples for `A_PCM/INT/LIT`) when the file must decode, or any bytes when only the headers
/// matter.
///
///     var mkv = MatroskaBuilder(durationSeconds: 36_000)
///     mkv.tracks = [.video(codecID: "V_MPEG4/ISO/AVC", width: 100_000, height: 100_000)]
///     mkv.blocks = [.init(track: 1, timestampMS: 0, data: [0, 0, 0, 1, 0x65])]
///     let bytes = mkv.build()
///
/// References: RFC 8794 (EBML) and the Matroska element specification (RFC 9559).
public struct MatroskaBuilder: Sendable {
    /// One TrackEntry.
    public struct Track: Sendable, Equatable {
        /// Matroska TrackType: 1 video, 2 audio.
        public var type: UInt64
        /// Matroska CodecID such as `V_MPEG4/ISO/AVC`, `V_MJPEG`, `A_PCM/INT/LIT`, `A_FLAC`.
        public var codecID: String
        /// CodecPrivate (e.g. an avcC record or FLAC headers); omitted when nil.
        public var codecPrivate: [UInt8]?
        /// Video: PixelWidth and PixelHeight.
        public var width: UInt64 = 0
        public var height: UInt64 = 0
        /// Audio: SamplingFrequency (Hz), Channels and BitDepth.
        public var sampleRate: Double = 0
        public var channels: UInt64 = 0
        public var bitDepth: UInt64 = 0

        /// A video track declaring `width` x `height` pixels.
        public static func video(codecID: String, width: UInt64, height: UInt64, codecPrivate: [UInt8]? = nil) -> Track {
            Track(type: 1, codecID: codecID, codecPrivate: codecPrivate, width: width, height: height)
        }

        /// An audio track; `A_PCM/INT/LIT` with `bitDepth` 16 takes little-endian Int16 samples as block data.
        public static func audio(codecID: String, sampleRate: Double, channels: UInt64 = 1, bitDepth: UInt64 = 16,
                                 codecPrivate: [UInt8]? = nil) -> Track {
            Track(type: 2, codecID: codecID, codecPrivate: codecPrivate, sampleRate: sampleRate, channels: channels,
                  bitDepth: bitDepth)
        }
    }

    /// One SimpleBlock in the (single) cluster.
    public struct Block: Sendable, Equatable {
        /// The track number (1-based, the index in ``MatroskaBuilder/tracks`` + 1).
        public var track: UInt64
        /// Presentation time in milliseconds (TimestampScale 1 ms); -32768...32767, the
        /// block's offset from the cluster's timestamp 0.
        public var timestampMS: Int16
        /// Marks the block a keyframe (SimpleBlock flag 0x80).
        public var keyframe: Bool
        /// The codec frame, copied as is.
        public var data: [UInt8]

        public init(track: UInt64, timestampMS: Int16, keyframe: Bool = true, data: [UInt8]) {
            self.track = track
            self.timestampMS = timestampMS
            self.keyframe = keyframe
            self.data = data
        }
    }

    /// EBML DocType: `matroska` or `webm`.
    public var docType = "matroska"
    /// Segment Info Duration in seconds (written in TimestampScale units, i.e. ms); omitted when nil,
    /// as a live stream would.
    public var durationSeconds: Double?
    public var tracks: [Track]
    public var blocks: [Block]

    public init(docType: String = "matroska", durationSeconds: Double? = nil, tracks: [Track] = [], blocks: [Block] = []) {
        self.docType = docType
        self.durationSeconds = durationSeconds
        self.tracks = tracks
        self.blocks = blocks
    }

    /// The file's bytes.
    public func build() -> [UInt8] {
        let header = Self.element(0x1A45_DFA3, [
            Self.element(0x4286, Self.uint(1)), // EBMLVersion
            Self.element(0x42F7, Self.uint(1)), // EBMLReadVersion
            Self.element(0x42F2, Self.uint(4)), // EBMLMaxIDLength
            Self.element(0x42F3, Self.uint(8)), // EBMLMaxSizeLength
            Self.element(0x4282, Array(docType.utf8)), // DocType
            Self.element(0x4287, Self.uint(4)), // DocTypeVersion
            Self.element(0x4285, Self.uint(2)), // DocTypeReadVersion
        ].flatMap { $0 })

        var info = Self.element(0x2A_D7B1, Self.uint(1_000_000)) // TimestampScale: 1 ms
        if let durationSeconds { info += Self.element(0x4489, Self.float(durationSeconds * 1000)) } // Duration
        info += Self.element(0x4D80, Array("emotiond MatroskaBuilder".utf8)) // MuxingApp
        info += Self.element(0x5741, Array("emotiond tests".utf8)) // WritingApp

        var entries: [UInt8] = []
        for (index, track) in tracks.enumerated() { entries += Self.trackEntry(track, number: UInt64(index + 1)) }

        var cluster = Self.element(0xE7, Self.uint(0)) // Cluster Timestamp
        for block in blocks {
            var body = Self.size(block.track) // track number, as an EBML vint
            body += [UInt8(truncatingIfNeeded: UInt16(bitPattern: block.timestampMS) >> 8),
                     UInt8(truncatingIfNeeded: UInt16(bitPattern: block.timestampMS))]
            body.append(block.keyframe ? 0x80 : 0x00)
            body += block.data
            cluster += Self.element(0xA3, body) // SimpleBlock
        }

        let segment = Self.element(0x1549_A966, info) + Self.element(0x1654_AE6B, entries) + Self.element(0x1F43_B675, cluster)
        return header + Self.element(0x1853_8067, segment)
    }

    /// Writes ``build()`` to `url`.
    public func write(to url: URL) throws { try Data(build()).write(to: url) }

    private static func trackEntry(_ track: Track, number: UInt64) -> [UInt8] {
        var body = element(0xD7, uint(number)) // TrackNumber
        body += element(0x73C5, uint(number)) // TrackUID
        body += element(0x83, uint(track.type)) // TrackType
        body += element(0x86, Array(track.codecID.utf8)) // CodecID
        if let codecPrivate = track.codecPrivate { body += element(0x63A2, codecPrivate) }
        if track.type == 1 {
            body += element(0xE0, element(0xB0, uint(track.width)) + element(0xBA, uint(track.height))) // Video
        } else if track.type == 2 {
            var audio = element(0xB5, float(track.sampleRate)) + element(0x9F, uint(track.channels)) // SamplingFrequency, Channels
            if track.bitDepth > 0 { audio += element(0x6264, uint(track.bitDepth)) } // BitDepth
            body += element(0xE1, audio) // Audio
        }
        return element(0xAE, body) // TrackEntry
    }

    // MARK: EBML primitives (RFC 8794)

    /// An element: its ID (written as given, marker bits included), its size, its payload.
    public static func element(_ id: UInt32, _ payload: [UInt8]) -> [UInt8] {
        var idBytes: [UInt8] = []
        var rest = id
        repeat {
            idBytes.insert(UInt8(truncatingIfNeeded: rest), at: 0)
            rest >>= 8
        } while rest > 0
        return idBytes + size(UInt64(payload.count)) + payload
    }

    /// The shortest EBML variable-length integer for `value` (1...8 bytes; the all-ones pattern
    /// of each length is reserved for "unknown size" and skipped).
    public static func size(_ value: UInt64) -> [UInt8] {
        var length = 1
        while length < 8 && value >= (UInt64(1) << (7 * UInt64(length))) - 1 { length += 1 }
        let marked = value | (UInt64(1) << (7 * UInt64(length)))
        return (0..<length).reversed().map { UInt8(truncatingIfNeeded: marked >> (8 * UInt64($0))) }
    }

    /// An unsigned integer payload, big-endian, shortest form (at least one byte).
    public static func uint(_ value: UInt64) -> [UInt8] {
        var bytes: [UInt8] = []
        var rest = value
        repeat {
            bytes.insert(UInt8(truncatingIfNeeded: rest), at: 0)
            rest >>= 8
        } while rest > 0
        return bytes
    }

    /// A float payload: IEEE 754 double, big-endian.
    public static func float(_ value: Double) -> [UInt8] {
        let bits = value.bitPattern
        return (0..<8).reversed().map { UInt8(truncatingIfNeeded: bits >> (8 * UInt64($0))) }
    }
}
