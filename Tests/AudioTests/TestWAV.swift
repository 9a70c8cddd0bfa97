import Foundation

/// Minimal RIFF/WAVE reader for test fixtures: mono or multi-channel PCM16 or float32, returns
/// the first channel as Float in [-1, 1). Decoding of real-world files is Media's job; this only
/// has to read the files the fixture script writes.
enum TestWAV {
    struct Clip {
        var sampleRate: Int
        var samples: [Float]
    }

    enum ReadError: Error { case notWAV, unsupported(String), truncated }

    static func read(_ url: URL) throws -> Clip {
        let data = try Data(contentsOf: url)
        let bytes = [UInt8](data)
        func u16(_ o: Int) -> Int { Int(bytes[o]) | Int(bytes[o + 1]) << 8 }
        func u32(_ o: Int) -> Int { u16(o) | u16(o + 2) << 16 }
        guard bytes.count >= 12, String(decoding: bytes[0 ..< 4], as: UTF8.self) == "RIFF",
              String(decoding: bytes[8 ..< 12], as: UTF8.self) == "WAVE" else { throw ReadError.notWAV }
        var offset = 12
        var format = 0, channels = 0, sampleRate = 0, bits = 0
        while offset + 8 <= bytes.count {
            let id = String(decoding: bytes[offset ..< offset + 4], as: UTF8.self)
            let size = u32(offset + 4)
            let body = offset + 8
            guard body + size <= bytes.count else { throw ReadError.truncated }
            if id == "fmt " {
                format = u16(body); channels = u16(body + 2); sampleRate = u32(body + 4); bits = u16(body + 14)
                if format == 0xFFFE { format = u16(body + 24) }  // WAVE_FORMAT_EXTENSIBLE sub-format
            } else if id == "data" {
                guard channels > 0 else { throw ReadError.unsupported("data before fmt") }
                let frameBytes = channels * bits / 8
                let frames = size / frameBytes
                var samples = [Float](repeating: 0, count: frames)
                for f in 0 ..< frames {
                    let o = body + f * frameBytes
                    switch (format, bits) {
                    case (1, 16): samples[f] = Float(Int16(bitPattern: UInt16(u16(o)))) / 32768
                    case (3, 32): samples[f] = Float(bitPattern: UInt32(u32(o)))
                    default: throw ReadError.unsupported("format \(format) bits \(bits)")
                    }
                }
                return Clip(sampleRate: sampleRate, samples: samples)
            }
            offset = body + size + (size & 1)
        }
        throw ReadError.truncated
    }
}
