/// An error from the MQTT client, carrying a stable code (it becomes the `code` of error
/// events and log lines), the raw libmosquitto or MQTT reason number, and a message that
/// tells the operator what to check.
///
/// Two number spaces meet here: libmosquitto's `MOSQ_ERR_*` values (local failures: socket,
/// TLS, protocol) and MQTT reason codes from the broker (CONNACK, PUBACK, DISCONNECT). `code`
/// says which one `rawValue` belongs to.
public struct BrokerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, coarse enough to switch on.
    public enum Code: String, Sendable, Equatable {
        /// The TCP connection was refused (no broker listening at host:port).
        case connectionRefused = "connection-refused"
        /// The broker answered CONNACK with "bad user name or password" or "not authorized".
        case authenticationFailed = "auth-failed"
        /// The broker refused the connection for another reason (see `rawValue`).
        case connackRefused = "connack-refused"
        /// TLS setup or handshake failed: wrong CA, unreadable certificate, hostname mismatch.
        case tls = "tls"
        /// Host name lookup failed.
        case lookup = "lookup"
        /// The operation needs a live connection and there is none.
        case notConnected = "not-connected"
        /// The connection was lost.
        case connectionLost = "connection-lost"
        /// Too many QoS > 0 messages are waiting for acknowledgement (see `maxQueuedMessages`).
        case queueFull = "queue-full"
        /// The broker rejected a PUBLISH or SUBSCRIBE (reason code >= 0x80, e.g. ACL denial).
        case rejected = "rejected"
        /// A bad argument: topic, QoS, payload too large, property too long.
        case invalidArgument = "invalid-argument"
        /// No CONNACK within the configured connect timeout.
        case timeout = "timeout"
        /// Anything else libmosquitto reports (see `rawValue` and `message`).
        case other = "mqtt-error"
    }

    /// The category, stable across versions.
    public var code: Code
    /// The libmosquitto `MOSQ_ERR_*` value or MQTT reason code, depending on `code`.
    public var rawValue: Int
    /// Human-readable explanation with a hint where there is one.
    public var message: String

    public init(code: Code, rawValue: Int, message: String) {
        self.code = code
        self.rawValue = rawValue
        self.message = message
    }

    public var description: String { "BrokerError(\(code.rawValue), \(rawValue)): \(message)" }
}
