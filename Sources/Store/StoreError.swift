/// An error from the statistics store, with a stable code (it becomes the `code` of error
/// events) and a message that says what to check.
public struct StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// The database file cannot be opened or created (missing or read-only directory,
        /// permissions, a path component that is a file).
        case cannotOpen = "store-cannot-open"
        /// The file does not exist (read-only queries never create one).
        case notFound = "store-not-found"
        /// The file is SQLite but not an emotiond statistics database, or from a newer version.
        case incompatible = "store-incompatible"
        /// A result to record is malformed (wrong probability count, NaN, empty ids).
        case invalidResult = "store-invalid-result"
        /// SQLite failed while reading or writing (disk full, I/O error, corruption).
        case database = "store-database"
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "StoreError(\(code.rawValue)): \(message)" }
}
