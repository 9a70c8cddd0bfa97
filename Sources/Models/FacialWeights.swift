import Foundation

/// A minimal read-only safetensors reader for the facial models' weights and parity fixtures.
///
/// Why here and not in NN: the NN runtime's own safetensors support is being written in
/// parallel; this reader covers exactly what the pretrained facial files use (F32, F16 upcast
/// to F32, U8, and the `__metadata__` string map) and will be unified with NN's later.
/// Every malformed input (short file, bad JSON, offsets outside the data, size not matching the
/// shape) is a `FacialModelError`, never a crash.
struct FacialWeights {
    /// One tensor's header entry.
    struct Entry {
        let dtype: String
        let shape: [Int]
        /// Byte range inside the data section.
        let range: Range<Int>
    }

    /// The `__metadata__` map (empty when absent).
    let metadata: [String: String]
    let entries: [String: Entry]
    private let data: Data
    private let dataStart: Int

    /// Reads and validates the whole file.
    init(url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw FacialModelError.unreadable(path: url.path, reason: "\(error)")
        }
        try self.init(data: data)
    }

    init(data: Data) throws {
        guard data.count >= 8 else { throw FacialModelError.malformedWeights("file shorter than 8 bytes") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength > 0, headerLength <= UInt64(data.count - 8), headerLength < 100_000_000 else {
            throw FacialModelError.malformedWeights("header length \(headerLength) does not fit a \(data.count)-byte file")
        }
        let headerStart = data.startIndex + 8
        let header = data[headerStart..<headerStart + Int(headerLength)]
        guard let json = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else {
            throw FacialModelError.malformedWeights("header is not a JSON object")
        }
        let dataStart = 8 + Int(headerLength)
        let dataLength = data.count - dataStart
        var metadata: [String: String] = [:]
        var entries: [String: Entry] = [:]
        for (name, value) in json {
            if name == "__metadata__" {
                guard let map = value as? [String: String] else {
                    throw FacialModelError.malformedWeights("__metadata__ is not a string map")
                }
                metadata = map
                continue
            }
            guard let object = value as? [String: Any], let dtype = object["dtype"] as? String,
                  let shape = object["shape"] as? [Int], let offsets = object["data_offsets"] as? [Int],
                  offsets.count == 2 else {
                throw FacialModelError.malformedWeights("entry \(name) lacks dtype, shape or data_offsets")
            }
            let elementSize: Int
            switch dtype {
            case "F32": elementSize = 4
            case "F16": elementSize = 2
            case "U8": elementSize = 1
            default: throw FacialModelError.malformedWeights("\(name): unsupported dtype \(dtype)")
            }
            guard shape.allSatisfy({ $0 >= 0 && $0 < 1 << 31 }),
                  offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataLength else {
                throw FacialModelError.malformedWeights("\(name): offsets \(offsets) outside the \(dataLength)-byte data")
            }
            let (count, overflow) = shape.reduce((1, false)) { acc, d in
                let (p, o) = acc.0.multipliedReportingOverflow(by: d)
                return (p, acc.1 || o)
            }
            let (bytes, bytesOverflow) = count.multipliedReportingOverflow(by: elementSize)
            guard !overflow, !bytesOverflow, bytes == offsets[1] - offsets[0] else {
                throw FacialModelError.malformedWeights("\(name): \(offsets[1] - offsets[0]) bytes do not hold \(dtype) \(shape)")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, range: offsets[0]..<offsets[1])
        }
        self.metadata = metadata
        self.entries = entries
        self.data = data
        self.dataStart = dataStart
    }

    /// A float tensor (F32 as stored, F16 upcast), checking the shape when `shape` is given.
    func floats(_ name: String, shape expected: [Int]? = nil) throws -> [Float] {
        guard let entry = entries[name] else {
            throw FacialModelError.tensorMismatch(name: name, expected: expected ?? [], found: nil)
        }
        if let expected, expected != entry.shape {
            throw FacialModelError.tensorMismatch(name: name, expected: expected, found: entry.shape)
        }
        let start = data.startIndex + dataStart + entry.range.lowerBound
        let bytes = data[start..<start + entry.range.count]
        switch entry.dtype {
        case "F32":
            return bytes.withUnsafeBytes { raw in
                (0..<raw.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
            }
        case "F16":
            return bytes.withUnsafeBytes { raw in
                [Float](unsafeUninitializedCapacity: raw.count / 2) { out, count in
                    for i in 0..<raw.count / 2 {
                        let bits = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                        out[i] = Float(Float16(bitPattern: bits))
                    }
                    count = raw.count / 2
                }
            }
        default:
            throw FacialModelError.malformedWeights("\(name) is \(entry.dtype), not a float tensor")
        }
    }

    /// Raw bytes of a U8 tensor.
    func bytes(_ name: String) throws -> [UInt8] {
        guard let entry = entries[name] else {
            throw FacialModelError.tensorMismatch(name: name, expected: [], found: nil)
        }
        guard entry.dtype == "U8" else {
            throw FacialModelError.malformedWeights("\(name) is \(entry.dtype), not U8")
        }
        let start = data.startIndex + dataStart + entry.range.lowerBound
        return [UInt8](data[start..<start + entry.range.count])
    }

    /// Shape of a tensor, or nil when absent.
    func shape(_ name: String) -> [Int]? { entries[name]?.shape }
}
