import Foundation

extension EmotionEvent {
    /// The event as the daemon publishes it: the bytes `JSONEncoder` would produce with
    /// ``makeEncoder(pretty:)`` plus `.withoutEscapingSlashes` (sorted keys, snake_case, RFC 3339
    /// dates, floats in their shortest form), written directly.
    ///
    /// Why not `JSONEncoder`: this runs once per clip on the hot path, and Foundation's encoder
    /// (a boxed intermediate tree, key sorting, a date closure) costs about 0.9 ms per event,
    /// about a sixth of an audio-only clip's whole pipeline; this writer costs a few
    /// microseconds. `EmotionEventWireJSONTests` checks that both give identical bytes.
    ///
    /// - Throws: `EncodingError.invalidValue` for a non-finite number, as `JSONEncoder` does.
    public func wireJSON() throws -> Data {
        var w = WireJSONWriter()
        w.objectStart()
        w.key("captured_at"); w.string(RFC3339.string(from: capturedAt))
        w.key("clip_id"); w.string(clipID)
        w.key("confidence"); try w.number(confidence)
        w.key("device"); w.string(device)
        w.key("emotion"); w.string(emotion.rawValue)
        w.key("fusion")
        w.objectStart()
        w.key("method"); w.string(fusion.method)
        w.key("modalities_used")
        w.arrayStart()
        for modality in fusion.modalitiesUsed { w.element(); w.string(modality.rawValue) }
        w.arrayEnd()
        w.objectEnd()
        w.key("latency_ms"); try w.numbers(latencyMS)
        w.key("modalities")
        w.objectStart()
        if let audio = modalities.audio {
            w.key("audio")
            w.objectStart()
            w.key("confidence"); try w.number(audio.confidence)
            w.key("duration_s"); try w.number(audio.durationS)
            w.key("emotion"); w.string(audio.emotion.rawValue)
            w.key("probabilities"); try w.numbers(audio.probabilities)
            w.objectEnd()
        }
        if let video = modalities.video {
            w.key("video")
            w.objectStart()
            if let confidence = video.confidence { w.key("confidence"); try w.number(confidence) }
            if let emotion = video.emotion { w.key("emotion"); w.string(emotion.rawValue) }
            w.key("faces_found"); w.integer(video.facesFound)
            w.key("frames"); w.integer(video.frames)
            if let probabilities = video.probabilities {
                w.key("probabilities"); try w.numbers(probabilities)
            }
            w.objectEnd()
        }
        w.objectEnd()
        w.key("models"); w.strings(models)
        w.key("probabilities"); try w.numbers(probabilities)
        w.key("processed_at"); w.string(RFC3339.string(from: processedAt))
        w.objectEnd()
        return Data(w.bytes)
    }
}

/// Appends compact JSON to a byte buffer with `JSONEncoder`'s conventions. The caller writes
/// object keys in sorted order; `numbers` and `strings` sort theirs (byte order, as
/// `.sortedKeys` does).
struct WireJSONWriter {
    private(set) var bytes: [UInt8] = []
    /// Per open container: has it had a member yet (so the next one needs a comma)?
    private var hasMember: [Bool] = []

    init() { bytes.reserveCapacity(1024) }

    mutating func objectStart() { bytes.append(UInt8(ascii: "{")); hasMember.append(false) }
    mutating func objectEnd() { bytes.append(UInt8(ascii: "}")); hasMember.removeLast() }
    mutating func arrayStart() { bytes.append(UInt8(ascii: "[")); hasMember.append(false) }
    mutating func arrayEnd() { bytes.append(UInt8(ascii: "]")); hasMember.removeLast() }

    /// Starts an array element (a comma after the first).
    mutating func element() {
        if hasMember[hasMember.count - 1] { bytes.append(UInt8(ascii: ",")) }
        hasMember[hasMember.count - 1] = true
    }

    /// Starts an object member: the comma if needed, the quoted key and the colon.
    mutating func key(_ name: String) {
        element()
        string(name)
        bytes.append(UInt8(ascii: ":"))
    }

    /// An object of numbers, keys in byte order (as `.sortedKeys` sorts them).
    mutating func numbers<F: BinaryFloatingPoint & CustomStringConvertible>(_ values: [String: F]) throws {
        objectStart()
        for k in Self.sortedKeys(values) {
            key(k)
            try number(values[k]!)
        }
        objectEnd()
    }

    /// An object of strings, keys in byte order.
    mutating func strings(_ values: [String: String]) {
        objectStart()
        for k in Self.sortedKeys(values) {
            key(k)
            string(values[k]!)
        }
        objectEnd()
    }

    private static func sortedKeys<V>(_ values: [String: V]) -> [String] {
        values.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    mutating func integer(_ value: Int) { bytes.append(contentsOf: String(value).utf8) }

    /// `JSONEncoder`'s form: the shortest round-trip `description`, without a trailing ".0".
    mutating func number<F: BinaryFloatingPoint & CustomStringConvertible>(_ value: F) throws {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "Unable to encode \(value) directly in JSON."))
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }

    /// A quoted string: `"` and `\` escaped, control characters as `\n`-style or `\u00XX`
    /// escapes, everything else (including "/" and non-ASCII) as its UTF-8 bytes.
    mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x00 ..< 0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"),
                                          UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
