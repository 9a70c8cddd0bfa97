import Foundation

/// Everything `MQTTClient` needs to reach a broker. Every property documents its default.
///
/// The defaults suit the daemon: MQTT v5 with a persistent session (so QoS 1 clip messages
/// published while the daemon restarts wait in the broker), reconnect attempts capped at 2 s
/// so the client is back within about 2 s of the broker's return, and a bounded outgoing queue.
///
/// `description` never shows the password.
public struct MQTTConfiguration: Sendable, CustomStringConvertible {
    /// Wire protocol version.
    public enum ProtocolVersion: Int, Sendable {
        case v311 = 4
        case v5 = 5
    }

    /// TLS settings. `caFile` is required to enable TLS; a client certificate is optional.
    public struct TLS: Sendable, Equatable {
        /// PEM file with the CA certificate(s) that signed the broker's certificate.
        public var caFile: String
        /// PEM client certificate, when the broker requires one. Default nil.
        public var certFile: String?
        /// PEM private key for `certFile`. Default nil.
        public var keyFile: String?
        /// Skip host name verification. Default false; never enable outside a lab.
        public var insecure: Bool

        public init(caFile: String, certFile: String? = nil, keyFile: String? = nil, insecure: Bool = false) {
            self.caFile = caFile
            self.certFile = certFile
            self.keyFile = keyFile
            self.insecure = insecure
        }
    }

    /// The last will the broker publishes when the connection dies without a DISCONNECT.
    public struct Will: Sendable, Equatable {
        public var topic: String
        public var payload: [UInt8]
        public var qos: Int
        public var retain: Bool

        public init(topic: String, payload: [UInt8], qos: Int = 1, retain: Bool = true) {
            self.topic = topic
            self.payload = payload
            self.qos = qos
            self.retain = retain
        }
    }

    /// Delays between reconnect attempts: `initial`, doubling up to `maximum`, each shortened
    /// by a random fraction up to `jitter` so a fleet does not reconnect in lock step.
    public struct Backoff: Sendable, Equatable {
        /// First delay after a connection loss, seconds. Default 0.5.
        public var initial: Double
        /// Cap on the delay, seconds. Default 2, which bounds the time to reconnect after the
        /// broker's return to about 2 s; raise it (e.g. 30) for large fleets.
        public var maximum: Double
        /// Fraction (0...1) by which a delay may be randomly shortened. Default 0.2.
        public var jitter: Double

        public init(initial: Double = 0.5, maximum: Double = 2, jitter: Double = 0.2) {
            self.initial = initial
            self.maximum = maximum
            self.jitter = jitter
        }

        /// The delay before reconnect attempt `attempt` (0-based), without jitter applied
        /// when `random` is 0 and shortened by up to `jitter` when it is 1.
        public func delay(attempt: Int, random: Double) -> Double {
            let base = min(maximum, initial * pow(2, Double(min(attempt, 30))))
            return max(0, base * (1 - jitter * min(max(random, 0), 1)))
        }
    }

    /// Broker host name or address. Default "localhost".
    public var host: String
    /// Broker port. Default 1883 (8883 is customary for TLS).
    public var port: Int
    /// Client identifier; must be stable for a persistent session. Default "emotiond".
    public var clientID: String
    /// Keepalive interval in seconds. Default 30.
    public var keepalive: Int
    /// Protocol version. Default `.v5` (user properties, PUBACK reason codes).
    public var protocolVersion: ProtocolVersion
    /// When the broker refuses v5 ("unsupported protocol version"), retry the first connect
    /// with 3.1.1. Default true.
    public var allowV311Fallback: Bool
    /// Start a fresh session on every connect. Default false: the broker keeps the
    /// subscriptions and queues QoS 1 messages while the client is away.
    public var cleanSession: Bool
    /// Session lifetime the broker keeps after a disconnect (v5 Session Expiry Interval),
    /// seconds. Default 86 400 (one day). Ignored for v3.1.1 and clean sessions.
    public var sessionExpiry: UInt32
    /// User name. Default nil (anonymous).
    public var username: String?
    /// Password. Default nil. Never logged or printed.
    public var password: String?
    /// TLS settings; nil means plain TCP. Default nil.
    public var tls: TLS?
    /// Last will. Default nil.
    public var will: Will?
    /// Reconnect delays. Default `Backoff()` (0.5 s doubling to 2 s, 20 % jitter).
    public var backoff: Backoff
    /// QoS > 0 messages in flight at once (MOSQ_OPT_SEND_MAXIMUM). Default 20.
    public var maxInflightMessages: Int
    /// QoS > 0 messages published but not yet acknowledged, including those queued while
    /// offline; `publish` throws `.queueFull` beyond it. Default 1000.
    public var maxQueuedMessages: Int
    /// Messages received but not yet consumed from `messages`; nil means unbounded. Default
    /// nil, because libmosquitto has already acknowledged them: the consumer (the daemon's
    /// intake, which journals to the spool) must keep up rather than lose clips silently.
    /// When set, the newest arrivals beyond it are dropped and counted.
    public var incomingBufferLimit: Int?
    /// How long `connect()` waits for the first CONNACK, seconds. Default 10.
    public var connectTimeout: Double

    public init(
        host: String = "localhost", port: Int = 1883, clientID: String = "emotiond",
        keepalive: Int = 30, protocolVersion: ProtocolVersion = .v5, allowV311Fallback: Bool = true,
        cleanSession: Bool = false, sessionExpiry: UInt32 = 86_400,
        username: String? = nil, password: String? = nil, tls: TLS? = nil, will: Will? = nil,
        backoff: Backoff = Backoff(), maxInflightMessages: Int = 20, maxQueuedMessages: Int = 1000,
        incomingBufferLimit: Int? = nil, connectTimeout: Double = 10
    ) {
        self.host = host
        self.port = port
        self.clientID = clientID
        self.keepalive = keepalive
        self.protocolVersion = protocolVersion
        self.allowV311Fallback = allowV311Fallback
        self.cleanSession = cleanSession
        self.sessionExpiry = sessionExpiry
        self.username = username
        self.password = password
        self.tls = tls
        self.will = will
        self.backoff = backoff
        self.maxInflightMessages = maxInflightMessages
        self.maxQueuedMessages = maxQueuedMessages
        self.incomingBufferLimit = incomingBufferLimit
        self.connectTimeout = connectTimeout
    }

    public var description: String {
        var parts = [
            "host=\(host)", "port=\(port)", "clientID=\(clientID)", "protocol=\(protocolVersion)",
            "cleanSession=\(cleanSession)", "keepalive=\(keepalive)",
        ]
        if let username { parts.append("username=\(username)") }
        if password != nil { parts.append("password=<redacted>") }
        if let tls { parts.append("tls(ca=\(tls.caFile), cert=\(tls.certFile ?? "-"), insecure=\(tls.insecure))") }
        if let will { parts.append("will=\(will.topic)") }
        return "MQTTConfiguration(" + parts.joined(separator: ", ") + ")"
    }
}
