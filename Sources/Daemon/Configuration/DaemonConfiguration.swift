import Foundation

/// Everything `emotiond serve` can be told, with the default of every setting.
///
/// Sources, later ones winning: built-in defaults (documented on each property and mirrored,
/// commented, in config/emotiond.yaml), the YAML file, `EMOTIOND_*` environment variables
/// (`mqtt.password_file` -> `EMOTIOND_MQTT_PASSWORD_FILE`), then explicit overrides (command-line
/// flags, as dotted keys). See ``load(path:environment:overrides:)``, ``validate(checkingFiles:)``
/// and, for SIGHUP, ``reloadable(from:)``.
///
/// Durations are seconds (`_s`), sizes bytes. Every key is listed in ``DaemonConfiguration/keys``.
public struct DaemonConfiguration: Equatable, Sendable {
    public var mqtt = MQTT()
    public var intake = Intake()
    public var workers = Workers()
    public var pairing = Pairing()
    public var state = State()
    public var store = Store()
    public var spool = Spool()
    public var models = Models()
    public var outputs = Outputs()
    public var logging = Logging()
    /// Seconds SIGTERM waits for queued and running clips to finish before the daemon exits
    /// anyway (unfinished clips stay in the spool and are replayed at the next start).
    /// Keep it below systemd's TimeoutStopSec. Default: 20.
    public var drainTimeoutS: Double = 20

    public init() {}

    // MARK: - Sections

    /// The broker connection (DESIGN section 4 and 6).
    public struct MQTT: Equatable, Sendable {
        /// Broker host name or address. Default: "localhost".
        public var host = "localhost"
        /// Broker port. Default: 1883 (use 8883 with TLS).
        public var port = 1883
        /// MQTT client id. It must be stable across restarts, because the input subscription
        /// uses a persistent session: the broker keeps QoS 1 clips for this id while the daemon
        /// is down. Default: nil, meaning "emotiond-<host name>" (see ``effectiveClientID``).
        public var clientID: String?
        /// User name for broker authentication. Default: nil (anonymous).
        public var username: String?
        /// Password, in clear. Prefer ``passwordFile`` or `EMOTIOND_MQTT_PASSWORD`. Default: nil.
        public var password: String?
        /// File whose content (one trailing newline trimmed) is the password; works with systemd's
        /// `LoadCredential=` (`EMOTIOND_MQTT_PASSWORD_FILE=%d/mqtt-password`). Default: nil.
        public var passwordFile: String?
        /// Protocol version. v5 is needed for `clip-id` user properties and shared subscriptions.
        /// Default: .v5.
        public var protocolVersion: ProtocolVersion = .v5
        /// Keepalive interval in seconds; the broker publishes the last will (`available` =
        /// offline) after 1.5 times this without traffic. Default: 30.
        public var keepaliveS = 30
        public var tls = TLS()
        /// First level of every topic, in and out. Default: "emotiond".
        public var topicPrefix = "emotiond"
        /// Shared-subscription group: when set, input filters become
        /// `$share/<group>/<prefix>/in/+/clip` so several instances split the load. Default: nil.
        public var sharedGroup: String?
        public var reconnect = Reconnect()
        /// Outgoing messages buffered while the broker is unreachable; older ones are dropped
        /// beyond this (counted in stats). Bounds memory during an outage. Default: 1000.
        public var maxQueuedMessages = 1000

        public init() {}

        /// Which MQTT protocol version to speak.
        public enum ProtocolVersion: String, CaseIterable, Sendable {
            case v5
            case v311
        }

        /// TLS towards the broker. TLS is on when ``caFile`` is set.
        public struct TLS: Equatable, Sendable {
            /// PEM file of the CA(s) that signed the broker's certificate. Default: nil (no TLS).
            public var caFile: String?
            /// PEM client certificate for mutual TLS; needs ``keyFile``. Default: nil.
            public var certFile: String?
            /// PEM private key of ``certFile``. Default: nil.
            public var keyFile: String?
            public init() {}
            /// Whether the connection uses TLS at all.
            public var isEnabled: Bool { caFile != nil }
        }

        /// Capped exponential backoff with jitter between connection attempts.
        public struct Reconnect: Equatable, Sendable {
            /// First delay after a lost connection, in seconds. Default: 0.25.
            public var initialS = 0.25
            /// Largest delay, in seconds. It bounds how late the daemon notices a returning
            /// broker; DESIGN section 7 asks for 2 s. Default: 2.
            public var maxS = 2.0
            public init() {}
        }

        /// ``clientID`` or "emotiond-<host name>".
        public var effectiveClientID: String {
            if let clientID { return clientID }
            let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
            return "emotiond-\(host)"
        }

        /// The password from ``password`` or the content of ``passwordFile``.
        public func resolvedPassword() throws -> String? {
            if let password { return password }
            guard let passwordFile else { return nil }
            guard let data = FileManager.default.contents(atPath: passwordFile),
                  var text = String(data: data, encoding: .utf8) else {
                throw ConfigError(key: "mqtt.password_file", kind: .missingFile,
                                  message: "cannot read \(passwordFile)")
            }
            if text.hasSuffix("\r\n") { text.removeLast(2) } else if text.hasSuffix("\n") { text.removeLast() }
            return text
        }
    }

    /// Limits applied to every incoming payload before it is accepted (journaled).
    public struct Intake: Equatable, Sendable {
        /// Largest accepted payload; bigger ones get an error event `payload_too_large`.
        /// Default: 16 MiB (16777216).
        public var maxPayloadBytes = 16 * 1024 * 1024
        /// Longest media duration decoded, in seconds; longer clips are rejected. Default: 30.
        public var maxDurationS = 30.0
        /// Largest video frame, "WIDTHxHEIGHT"; bigger streams are rejected. Default: 1920x1080.
        public var maxResolution = Resolution(width: 1920, height: 1080)
        /// Regular expression device ids must also match (on top of the fixed rules in
        /// ``TopicRouter``). Default: "^[A-Za-z0-9_.-]{1,64}$".
        public var deviceIDPattern = "^[A-Za-z0-9_.-]{1,64}$"
        public init() {}
    }

    /// A frame size limit.
    public struct Resolution: Equatable, Sendable, CustomStringConvertible {
        public var width: Int
        public var height: Int
        public init(width: Int, height: Int) {
            self.width = width
            self.height = height
        }
        public var description: String { "\(width)x\(height)" }
        /// Parses "1920x1080".
        public init?(_ text: String) {
            let parts = text.lowercased().split(separator: "x")
            guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]) else { return nil }
            self.init(width: w, height: h)
        }
    }

    /// The classification workers and the bounded queue in front of them.
    public struct Workers: Equatable, Sendable {
        /// Number of worker tasks. Default: nil ("auto"), one per core (``effectiveCount``).
        public var count: Int?
        /// Clips waiting for a worker, across all devices. Bounds memory under a flood. Default: 64.
        public var queueCapacity = 64
        /// What a full queue does with a new clip. Default: .dropOldest.
        public var overflowPolicy: OverflowPolicy = .dropOldest
        /// Serve devices round-robin, so one chatty device cannot starve the others. Default: true.
        public var perDeviceFairness = true
        public init() {}

        /// ``count`` or the number of active cores.
        public var effectiveCount: Int { count ?? max(1, ProcessInfo.processInfo.activeProcessorCount) }
    }

    /// Fusing separate `/audio` and `/video` chunks of one clip.
    public struct Pairing: Equatable, Sendable {
        /// How long a chunk waits for its partner before it is classified alone. Default: 2.
        public var windowS = 2.0
        public init() {}
    }

    /// Per-device state (the retained `/state` topic) and episode events.
    public struct State: Equatable, Sendable {
        /// Sliding window over which the dominant emotion is computed, in seconds. Default: 60.
        public var windowS = 60.0
        /// Clips of one emotion (at or above ``episodeMinConfidence``) in the window needed to
        /// start an episode or switch it to that emotion. Default: 3.
        public var episodeMinClips = 3
        /// Clips less confident than this count for `/state` but not for episodes. Default: 0.5.
        public var episodeMinConfidence = 0.5
        /// An episode ends after this many seconds without qualifying clips. Default: 120.
        public var episodeTimeoutS = 120.0
        public init() {}
    }

    /// The SQLite aggregate store (DESIGN section 5).
    public struct Store: Equatable, Sendable {
        /// Database file; its directory must exist. Default: "/var/lib/emotiond/emotiond.sqlite".
        public var path = "/var/lib/emotiond/emotiond.sqlite"
        /// Also keep one row per clip (subject to ``retentionDaysClips``). Default: false.
        public var perClipRows = false
        /// Days per-clip rows are kept. Default: 30.
        public var retentionDaysClips = 30
        /// Days minute/hour/day buckets are kept. Default: 365.
        public var retentionDaysBuckets = 365
        /// Results written per transaction at most. Default: 100.
        public var batchSize = 100
        /// Longest time a result waits in memory before it is written, in seconds. Default: 1.
        public var flushIntervalS = 1.0
        public init() {}
    }

    /// The journal of accepted, unfinished clips (survives kill -9; replayed at start).
    public struct Spool: Equatable, Sendable {
        /// Directory of the journal; created if missing (its parent must exist).
        /// Default: "/var/lib/emotiond/spool".
        public var dir = "/var/lib/emotiond/spool"
        public init() {}
    }

    /// Model files. They must exist when the daemon starts.
    public struct Models: Equatable, Sendable {
        /// Audio model (safetensors). Default: "/usr/local/share/emotiond/models/audio.safetensors".
        public var audio = "/usr/local/share/emotiond/models/audio.safetensors"
        /// Facial model (safetensors). Default: "/usr/local/share/emotiond/models/facial.safetensors".
        public var facial = "/usr/local/share/emotiond/models/facial.safetensors"
        /// Haar cascade for face detection (Debian package opencv-data).
        /// Default: "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml".
        public var cascade = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"
        public init() {}
    }

    /// Optional outputs besides the per-clip events.
    public struct Outputs: Equatable, Sendable {
        /// Seconds between `<prefix>/stats` messages. Default: 60.
        public var statsIntervalS = 60.0
        public var homeAssistant = HomeAssistant()
        public var prometheus = Prometheus()
        public init() {}

        /// Home Assistant MQTT discovery (DESIGN section 4).
        public struct HomeAssistant: Equatable, Sendable {
            /// Publish discovery configs for each device seen. Default: true.
            public var enabled = true
            /// Home Assistant's discovery prefix. Default: "homeassistant".
            public var discoveryPrefix = "homeassistant"
            public init() {}
        }

        /// Prometheus text exposition over HTTP.
        public struct Prometheus: Equatable, Sendable {
            /// Serve `/metrics`. Default: false.
            public var enabled = false
            /// TCP port. Default: 9464.
            public var port = 9464
            /// Address to bind; keep it on loopback unless a firewall protects it.
            /// Default: "127.0.0.1".
            public var bind = "127.0.0.1"
            public init() {}
        }
    }

    /// Logging.
    public struct Logging: Equatable, Sendable {
        /// One of trace, debug, info, notice, warning, error, critical. Default: "info".
        public var level = "info"
        public init() {}
        /// The accepted level names, most verbose first (swift-log's `Logger.Level`).
        public static let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
    }
}

/// What a full ``WorkQueue`` does with one more clip.
public enum OverflowPolicy: String, CaseIterable, Sendable {
    /// Evict the oldest clip of the device with the most queued clips, keep the new one.
    case dropOldest = "drop_oldest"
    /// Refuse the new clip.
    case rejectNew = "reject_new"
}
