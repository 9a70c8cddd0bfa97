/// Why a safetensors file could not be read or written.
///
/// Every malformed input maps to one of these cases (never a crash); the associated string
/// says what was found, so the message can be shown to a user as is.
public enum SafeTensorsError: Error, Equatable, CustomStringConvertible {
    /// The file ends before the 8-byte header length, the header, or a tensor's data.
    case truncated(String)
    /// The header is not valid UTF-8 JSON of the expected form.
    case invalidHeader(String)
    /// A tensor entry is inconsistent (bad dtype, negative dimension, offsets out of range or
    /// not matching the shape).
    case invalidEntry(name: String, reason: String)
    /// No tensor of that name in the file.
    case tensorNotFound(String)
    /// The tensor's dtype cannot be converted to what was asked for.
    case unsupportedConversion(name: String, dtype: String)
    /// Reading or writing the file failed.
    case io(String)

    public var description: String {
        switch self {
        case .truncated(let s): return "safetensors file truncated: \(s)"
        case .invalidHeader(let s): return "safetensors header invalid: \(s)"
        case .invalidEntry(let name, let reason): return "safetensors tensor '\(name)' invalid: \(reason)"
        case .tensorNotFound(let name): return "safetensors file has no tensor named '\(name)'"
        case .unsupportedConversion(let name, let dtype):
            return "safetensors tensor '\(name)' has dtype \(dtype), which cannot be read as requested"
        case .io(let s): return "safetensors I/O error: \(s)"
        }
    }
}
