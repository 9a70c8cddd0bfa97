import Foundation
import TestSupport
import XCTest

/// Crafted media for the hostile-input tests (issue 6, item 1): headers that declare what no
/// camera sends, and small files that decode to far more than the decode limits allow. Each
/// comes with the error code the daemon must answer with under its default limits
/// (`intake.max_duration_s` 30, `intake.max_resolution` 1920x1080, 8 streams, 3,660 video
/// frames, 192 kHz).
///
/// `EMOTIOND_HOSTILE_SEEDS_DIR=<dir>` makes the test also write every payload there; that is
/// how fuzz/seeds/crafted-* were made.
enum HostileMedia {
    /// One crafted payload.
    struct Payload {
        /// Clip id sent with it (and the seed file name).
        let id: String
        let bytes: [UInt8]
        /// The error code the daemon must publish; nil for the control, which must be classified.
        let code: String?
    }

    /// A Matroska file FFmpeg reads and the daemon classifies: 1 s of a 220 Hz tone with noise
    /// (PCM, 16 kHz) and a declared 640x480 H.264 track holding one undecodable frame (so the
    /// clip is classified from its audio). Every crafted header below changes one field of it,
    /// so its refusal is caused by that field alone.
    static func controlMatroska(durationSeconds: Double = 1, width: UInt64 = 640, height: UInt64 = 480,
                                extraAudioTracks: Int = 0) -> MatroskaBuilder {
        var mkv = MatroskaBuilder(durationSeconds: durationSeconds)
        mkv.tracks = [.audio(codecID: "A_PCM/INT/LIT", sampleRate: 16_000),
                      .video(codecID: "V_MPEG4/ISO/AVC", width: width, height: height)]
        mkv.tracks += Array(repeating: .audio(codecID: "A_PCM/INT/LIT", sampleRate: 16_000), count: extraAudioTracks)
        let pcm = toneSamples(seconds: 1)
        let block = 3_200 // 100 ms of 16-bit samples at 16 kHz
        for i in 0..<(pcm.count / block) {
            mkv.blocks.append(.init(track: 1, timestampMS: Int16(i * 100), data: Array(pcm[(i * block)..<((i + 1) * block)])))
        }
        // An Annex B start code and an IDR slice NAL with a bogus header: FFmpeg skips the
        // frame, as a player would.
        mkv.blocks.append(.init(track: 2, timestampMS: 0, data: [0, 0, 0, 1, 0x65, 0x88]))
        return mkv
    }

    /// The control and the crafted headers (no encoder involved).
    static func craftedHeaders() -> [Payload] {
        [
            Payload(id: "crafted-control", bytes: controlMatroska().build(), code: nil),
            Payload(id: "crafted-100000x100000", bytes: controlMatroska(width: 100_000, height: 100_000).build(),
                    code: "resolution_too_large"),
            Payload(id: "crafted-10-hours", bytes: controlMatroska(durationSeconds: 36_000).build(), code: "too_long"),
            Payload(id: "crafted-300-streams", bytes: controlMatroska(extraAudioTracks: 298).build(), code: "too_many_streams"),
            // Past FFmpeg's own counting cap (see ClipDecoder.streamCountingCap).
            Payload(id: "crafted-2000-streams", bytes: controlMatroska(extraAudioTracks: 1_998).build(), code: "too_many_streams"),
        ]
    }

    /// Small files that expand to far more than the limits allow, made by the ffmpeg CLI at
    /// test time (cached in `scratch`). None declares a duration (Matroska written as a live
    /// stream), so only what the decoder measures while reading can stop them:
    /// - 40 s of black 1080p H.264 at 10 fps (~21 kB; 400 frames, 1.2 GB as decoded YUV):
    ///   measured duration;
    /// - 4,000 black 320x180 H.264 frames in 4 s (~68 kB; 1,000 fps): the frame budget
    ///   (30.5 s x 120 fps = 3,660);
    /// - 40 s of FLAC silence at 192 kHz (~10 kB; 7.7 M samples): measured duration.
    static func decompressionBombs(in scratch: ScratchDirectory) throws -> [Payload] {
        [
            Payload(id: "bomb-h264-1080p-40s", bytes: try ffmpeg(in: scratch, name: "bomb-h264-1080p-40s.mkv", input:
                ["-f", "lavfi", "-i", "color=black:s=1920x1080:r=10", "-t", "40", "-c:v", "libx264", "-preset", "ultrafast"]),
                    code: "too_long"),
            Payload(id: "bomb-h264-4000-frames", bytes: try ffmpeg(in: scratch, name: "bomb-h264-4000-frames.mkv", input:
                ["-f", "lavfi", "-i", "color=black:s=320x180:r=1000", "-t", "4", "-c:v", "libx264", "-preset", "ultrafast"]),
                    code: "too_long"),
            Payload(id: "bomb-flac-192k-40s", bytes: try ffmpeg(in: scratch, name: "bomb-flac-192k-40s.mka", input:
                ["-f", "lavfi", "-i", "anullsrc=r=192000:cl=mono", "-t", "40", "-c:a", "flac"]),
                    code: "too_long"),
        ]
    }

    /// Writes the payloads to `$EMOTIOND_HOSTILE_SEEDS_DIR` when it is set (fuzz seeds).
    static func exportSeeds(_ payloads: [Payload]) throws {
        guard let dir = ProcessInfo.processInfo.environment["EMOTIOND_HOSTILE_SEEDS_DIR"], !dir.isEmpty else { return }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for p in payloads { try Data(p.bytes).write(to: URL(fileURLWithPath: dir).appendingPathComponent(p.id)) }
    }

    /// 16-bit little-endian mono PCM at 16 kHz: a 220 Hz tone at half scale plus deterministic
    /// noise (loud enough not to count as silence).
    static func toneSamples(seconds: Double) -> [UInt8] {
        var out: [UInt8] = []
        var seed: UInt32 = 1
        let rate = 16_000.0
        for i in 0..<Int(seconds * rate) {
            seed = seed &* 1_664_525 &+ 1_013_904_223
            let noise = Double(Int(seed >> 16) - 32_768) / 32_768 * 0.2
            let value = max(-1, min(1, 0.5 * sin(2 * Double.pi * 220 * Double(i) / rate) + noise))
            let sample = UInt16(bitPattern: Int16(value * 30_000))
            out += [UInt8(truncatingIfNeeded: sample), UInt8(truncatingIfNeeded: sample >> 8)]
        }
        return out
    }

    private static func ffmpeg(in scratch: ScratchDirectory, name: String, input: [String]) throws -> [UInt8] {
        let out = scratch.path(name)
        if let data = FileManager.default.contents(atPath: out) { return [UInt8](data) }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ffmpeg") else { throw XCTSkip("ffmpeg CLI missing") }
        // `-live 1`: no Duration, no Cues, as a stream recorded live would be.
        let r = try runCommand(["/usr/bin/ffmpeg", "-v", "error", "-y"] + input + ["-live", "1", "-f", "matroska", out])
        guard r.status == 0 else { throw NSError(domain: "ffmpeg", code: Int(r.status), userInfo: [NSLocalizedDescriptionKey: r.err]) }
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: out)))
    }
}
