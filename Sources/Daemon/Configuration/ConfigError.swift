/// A configuration problem, always naming the key it is about so the operator can fix it.
///
/// `description` reads like `mqtt.port: must be 1...65535, got 70000`. The CLI prints it and
/// exits with ``ConfigError/exitCode`` (sysexits' EX_CONFIG), which systemd shows as
/// "status=78/CONFIG" and does not restart on (see systemd/emotiond.service).
public struct ConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong, coarsely, so callers and tests can branch on it.
    public enum Kind: String, Sendable {
        /// The file is not valid YAML, or not shaped as sections of scalars.
        case syntax
        /// A key that the daemon does not know (usually a typo).
        case unknownKey
        /// A value of the wrong type or out of range.
        case invalidValue
        /// A file or directory the configuration points at is missing or unreadable.
        case missingFile
        /// Two settings contradict each other (e.g. `password` and `password_file`).
        case conflict
    }

    /// The dotted key (`mqtt.port`), the environment variable, or nil for file-level problems.
    public var key: String?
    public var kind: Kind
    /// What is wrong and, where possible, what is expected.
    public var message: String
    /// Where the value came from (`/etc/emotiond/emotiond.yaml:12`, `environment`, `override`).
    public var origin: String?

    /// sysexits.h EX_CONFIG: "configuration error". `emotiond serve` and `emotiond config check`
    /// exit with it when loading or validation fails.
    public static let exitCode: Int32 = 78

    public init(key: String?, kind: Kind, message: String, origin: String? = nil) {
        self.key = key
        self.kind = kind
        self.message = message
        self.origin = origin
    }

    public var description: String {
        var text = key.map { "\($0): \(message)" } ?? message
        if let origin { text += " (\(origin))" }
        return text
    }
}
