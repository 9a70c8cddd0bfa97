import Foundation

/// A parsed safetensors file: `u64 LE header length`, a JSON header, then raw little-endian data.
///
/// The header maps each tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}`
/// (offsets relative to the start of the data block) plus an optional `__metadata__`
/// string-to-string map, which emotiond uses to make model files self-describing.
///
/// Reading validates everything before any tensor is touched: header length, JSON shape, dtype
/// names, shape/size agreement and offset ranges; any problem is a `SafeTensorsError`.
/// `tensor(_:)` converts F32, F16, BF16, F64 and the integer types to a Float32 `Tensor`
/// (F16 weights are upcast on read). Writing (`encode`) emits F32 or F16 with the tensor names
/// and metadata keys sorted, so the same tensors always give the same bytes.
public struct SafeTensors: Sendable {
    /// Element types of the format (the subset with a fixed byte size).
    public enum DType: String, Sendable, CaseIterable {
        case bool = "BOOL", u8 = "U8", i8 = "I8", u16 = "U16", i16 = "I16", f16 = "F16", bf16 = "BF16"
        case u32 = "U32", i32 = "I32", f32 = "F32", u64 = "U64", i64 = "I64", f64 = "F64"
        case f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2"

        /// Bytes per element.
        public var size: Int {
            switch self {
            case .bool, .u8, .i8, .f8e4m3, .f8e5m2: return 1
            case .u16, .i16, .f16, .bf16: return 2
            case .u32, .i32, .f32: return 4
            case .u64, .i64, .f64: return 8
            }
        }
    }

    /// Where one tensor lives in the file.
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let dtype: DType
        public let shape: [Int]
        /// Byte range inside the data block.
        public let dataRange: Range<Int>
        /// Number of elements.
        public var count: Int { shape.reduce(1, *) }
    }

    /// The `__metadata__` map (empty if absent).
    public let metadata: [String: String]
    /// Every tensor, by name.
    public let entries: [String: Entry]
    /// Tensor names, sorted.
    public var names: [String] { entries.keys.sorted() }

    private let bytes: Data
    private let dataStart: Int

    /// Headers larger than this are rejected (the reference implementation's limit).
    public static let maximumHeaderLength = 100_000_000

    /// Reads and validates a file.
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw SafeTensorsError.io("cannot read \(url.path): \(error.localizedDescription)")
        }
        try self.init(data: data)
    }

    /// Parses and validates an in-memory file.
    public init(data: Data) throws {
        // Index from 0 below; only a slice of a larger Data needs a copy.
        let bytes = data.startIndex == 0 ? data : Data(data)
        guard bytes.count >= 8 else {
            throw SafeTensorsError.truncated("\(bytes.count) bytes, need at least 8 for the header length")
        }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard headerLength <= UInt64(SafeTensors.maximumHeaderLength) else {
            throw SafeTensorsError.invalidHeader("header length \(headerLength) exceeds \(SafeTensors.maximumHeaderLength)")
        }
        let headerEnd = 8 + Int(headerLength)
        guard headerEnd <= bytes.count else {
            throw SafeTensorsError.truncated("header says \(headerLength) bytes but only \(bytes.count - 8) follow")
        }
        let headerBytes = bytes.subdata(in: 8..<headerEnd)
        guard String(data: headerBytes, encoding: .utf8) != nil else {
            throw SafeTensorsError.invalidHeader("header is not UTF-8")
        }
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: headerBytes, options: []) } catch {
            throw SafeTensorsError.invalidHeader("header is not valid JSON")
        }
        guard let object = json as? [String: Any] else {
            throw SafeTensorsError.invalidHeader("header is not a JSON object")
        }
        let dataLength = bytes.count - headerEnd
        var metadata: [String: String] = [:]
        var entries: [String: Entry] = [:]
        for (name, value) in object {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else {
                    throw SafeTensorsError.invalidHeader("__metadata__ is not an object")
                }
                for (k, v) in map {
                    guard let s = v as? String else {
                        throw SafeTensorsError.invalidHeader("__metadata__['\(k)'] is not a string")
                    }
                    metadata[k] = s
                }
                continue
            }
            entries[name] = try SafeTensors.parseEntry(name: name, value: value, dataLength: dataLength)
        }
        self.metadata = metadata
        self.entries = entries
        self.bytes = bytes
        self.dataStart = headerEnd
    }

    private static func parseEntry(name: String, value: Any, dataLength: Int) throws -> Entry {
        func bad(_ reason: String) -> SafeTensorsError { .invalidEntry(name: name, reason: reason) }
        guard let dict = value as? [String: Any] else { throw bad("entry is not an object") }
        guard let dtypeName = dict["dtype"] as? String else { throw bad("missing dtype") }
        guard let dtype = DType(rawValue: dtypeName) else { throw bad("unknown dtype \(dtypeName)") }
        guard let shapeAny = dict["shape"] as? [Any] else { throw bad("missing shape") }
        guard let offsetsAny = dict["data_offsets"] as? [Any], offsetsAny.count == 2 else {
            throw bad("data_offsets must be [begin, end]")
        }
        func integer(_ v: Any) -> Int? {
            guard let n = v as? NSNumber else { return nil }
            let d = n.doubleValue
            guard d >= 0, d == d.rounded(), d < 9.0e15 else { return nil }
            return n.intValue
        }
        var shape: [Int] = []
        var count = 1
        for d in shapeAny {
            guard let dim = integer(d) else { throw bad("shape has a non-integer or negative dimension") }
            let (p, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw bad("shape \(shapeAny) overflows") }
            shape.append(dim)
            count = p
        }
        guard let begin = integer(offsetsAny[0]), let end = integer(offsetsAny[1]) else {
            throw bad("data_offsets are not non-negative integers")
        }
        guard begin <= end else { throw bad("data_offsets begin \(begin) > end \(end)") }
        guard end <= dataLength else {
            throw SafeTensorsError.truncated(
                "tensor '\(name)' ends at data byte \(end) but the data block has \(dataLength) bytes")
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.size)
        guard !overflow, byteCount == end - begin else {
            throw bad("shape \(shape) of \(dtypeName) needs \(count) x \(dtype.size) bytes, offsets give \(end - begin)")
        }
        return Entry(name: name, dtype: dtype, shape: shape, dataRange: begin..<end)
    }

    /// The entry for `name`, or `tensorNotFound`.
    public func entry(_ name: String) throws -> Entry {
        guard let e = entries[name] else { throw SafeTensorsError.tensorNotFound(name) }
        return e
    }

    /// The raw little-endian bytes of a tensor.
    public func rawBytes(_ name: String) throws -> Data {
        let e = try entry(name)
        return bytes.subdata(in: (dataStart + e.dataRange.lowerBound)..<(dataStart + e.dataRange.upperBound))
    }

    /// A tensor converted to Float32 (F32 as is; F16/BF16 upcast; F64 rounded; integers and
    /// BOOL converted by value). FP8 types are not converted.
    public func tensor(_ name: String) throws -> Tensor {
        let e = try entry(name)
        var out = [Float](repeating: 0, count: e.count)
        let start = dataStart + e.dataRange.lowerBound
        try bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let src = raw.baseAddress! + start
            try out.withUnsafeMutableBufferPointer { dst in
                let n = dst.count
                switch e.dtype {
                case .f32:
                    // Unaligned-safe copy; the format is little-endian like every supported host.
                    memcpy(dst.baseAddress!, src, n * 4)
                case .f16:
                    for i in 0..<n {
                        dst[i] = Float(Float16(bitPattern: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                    }
                case .bf16:
                    for i in 0..<n {
                        let bits = UInt32(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16
                        dst[i] = Float(bitPattern: bits)
                    }
                case .f64:
                    for i in 0..<n { dst[i] = Float(src.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
                case .u8, .bool:
                    for i in 0..<n { dst[i] = Float(src.load(fromByteOffset: i, as: UInt8.self)) }
                case .i8:
                    for i in 0..<n { dst[i] = Float(src.load(fromByteOffset: i, as: Int8.self)) }
                case .u16:
                    for i in 0..<n { dst[i] = Float(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
                case .i16:
                    for i in 0..<n { dst[i] = Float(src.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)) }
                case .u32:
                    for i in 0..<n { dst[i] = Float(src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
                case .i32:
                    for i in 0..<n { dst[i] = Float(src.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
                case .u64:
                    for i in 0..<n { dst[i] = Float(src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) }
                case .i64:
                    for i in 0..<n { dst[i] = Float(src.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)) }
                case .f8e4m3, .f8e5m2:
                    throw SafeTensorsError.unsupportedConversion(name: name, dtype: e.dtype.rawValue)
                }
            }
        }
        return Tensor(shape: e.shape, data: out)
    }

    /// An integer tensor (I64, I32, U8...) as exact `Int64` values.
    public func int64s(_ name: String) throws -> [Int64] {
        let e = try entry(name)
        let start = dataStart + e.dataRange.lowerBound
        return try bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> [Int64] in
            let src = raw.baseAddress! + start
            let n = e.count
            switch e.dtype {
            case .i64: return (0..<n).map { src.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self) }
            case .i32: return (0..<n).map { Int64(src.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)) }
            case .i16: return (0..<n).map { Int64(src.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self)) }
            case .i8: return (0..<n).map { Int64(src.load(fromByteOffset: $0, as: Int8.self)) }
            case .u8, .bool: return (0..<n).map { Int64(src.load(fromByteOffset: $0, as: UInt8.self)) }
            case .u16: return (0..<n).map { Int64(src.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)) }
            case .u32: return (0..<n).map { Int64(src.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)) }
            default: throw SafeTensorsError.unsupportedConversion(name: name, dtype: e.dtype.rawValue)
            }
        }
    }

    // MARK: Writing

    /// Serialises `tensors` (stored as `dtype`, F32 or F16) and `metadata` to safetensors bytes.
    ///
    /// Names and metadata keys are sorted and the header is padded with spaces to a multiple of
    /// 8 bytes, so equal inputs give identical files.
    public static func encode(
        _ tensors: [String: Tensor], metadata: [String: String] = [:], dtype: DType = .f32
    ) throws -> Data {
        guard dtype == .f32 || dtype == .f16 else {
            throw SafeTensorsError.unsupportedConversion(name: "*", dtype: dtype.rawValue)
        }
        if tensors.keys.contains("__metadata__") {
            throw SafeTensorsError.invalidEntry(name: "__metadata__", reason: "reserved name")
        }
        var header = "{"
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let t = tensors[name]!
            let size = t.count * dtype.size
            let shape = t.shape.map(String.init).joined(separator: ",")
            fields.append("\(jsonString(name)):{\"dtype\":\"\(dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + size)]}")
            offset += size
        }
        header += fields.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var out = Data(capacity: 8 + headerBytes.count + offset)
        var length = UInt64(headerBytes.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(contentsOf: headerBytes)
        for name in names {
            let t = tensors[name]!
            if dtype == .f32 {
                t.data.withUnsafeBytes { out.append(contentsOf: $0) }
            } else {
                let halves = t.data.map { Float16($0).bitPattern.littleEndian }
                halves.withUnsafeBytes { out.append(contentsOf: $0) }
            }
        }
        return out
    }

    /// Writes `encode(tensors, metadata:dtype:)` to `url` atomically.
    public static func write(
        _ tensors: [String: Tensor], metadata: [String: String] = [:], dtype: DType = .f32, to url: URL
    ) throws {
        let data = try encode(tensors, metadata: metadata, dtype: dtype)
        do { try data.write(to: url, options: .atomic) } catch {
            throw SafeTensorsError.io("cannot write \(url.path): \(error.localizedDescription)")
        }
    }

    /// A JSON string literal for `s` (quotes, backslashes and control characters escaped).
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
