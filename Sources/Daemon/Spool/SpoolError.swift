import Foundation

/// Why the spool could not journal or read a clip. `code` is the error event's `code`.
public enum SpoolError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No space (ENOSPC or EDQUOT) while journaling; nothing was left behind.
    case diskFull(path: String)
    /// Another system call failed; `errno` is the C error number.
    case io(operation: String, path: String, errno: Int32)
    /// A journal file is unreadable (bad magic, header or length).
    case corrupt(path: String, reason: String)

    public var code: String {
        switch self {
        case .diskFull: return "spool_full"
        case .io: return "spool_io"
        case .corrupt: return "spool_corrupt"
        }
    }

    public var description: String {
        switch self {
        case .diskFull(let path): return "no space left to journal in \(path)"
        case .io(let op, let path, let e): return "\(op) \(path): \(String(cString: strerror(e)))"
        case .corrupt(let path, let reason): return "corrupt spool file \(path): \(reason)"
        }
    }
}
