import Foundation

/// Counts what the daemon does and renders the `<prefix>/stats` JSON (DESIGN section 4) and
/// the Prometheus text (``prometheusText(queueCapacity:)``).
///
/// Counters are cumulative since start; latencies are kept for the last `latencyWindowS`
/// seconds (at most `maxLatencySamples`), from which p50 / p95 are computed.
///
/// Thread safety: every method may be called from any thread (one lock).
public final class StatsCollector: @unchecked Sendable {
    /// The body of `<prefix>/stats`.
    public struct Snapshot: Codable, Equatable, Sendable {
        public var at: Date
        public var uptimeS: Double
        public var clips: Int
        public var errors: Int
        public var drops: Int
        public var reconnects: Int
        public var queueDepth: Int
        public var errorsByCode: [String: Int]
        public var latencyMS: Latency
        public var devices: [String: DeviceStats]

        /// Latency percentiles over the window (nil without samples).
        public struct Latency: Codable, Equatable, Sendable {
            public var p50: Double?
            public var p95: Double?
            public var max: Double?
            public var samples: Int
            public var windowS: Double
            enum CodingKeys: String, CodingKey {
                case p50, p95, max, samples
                case windowS = "window_s"
            }
        }

        public struct DeviceStats: Codable, Equatable, Sendable {
            public var clips = 0
            public var errors = 0
            public var drops = 0
            public var lastSeen: Date?
            enum CodingKeys: String, CodingKey {
                case clips, errors, drops
                case lastSeen = "last_seen"
            }
        }

        enum CodingKeys: String, CodingKey {
            case at, clips, errors, drops, reconnects, devices
            case uptimeS = "uptime_s"
            case queueDepth = "queue_depth"
            case errorsByCode = "errors_by_code"
            case latencyMS = "latency_ms"
        }
    }

    public let latencyWindowS: Double
    public let maxLatencySamples: Int
    private let clock: any DaemonClock
    private let started: Date
    private let lock = NSLock()
    // Guarded by `lock`.
    private var devices: [String: Snapshot.DeviceStats] = [:]
    private var errorsByCode: [String: Int] = [:]
    private var clips = 0, errors = 0, drops = 0, reconnects = 0, queueDepth = 0
    private var latencies: [(at: Date, ms: Double)] = []

    public init(latencyWindowS: Double = 60, maxLatencySamples: Int = 4096, clock: any DaemonClock = SystemClock()) {
        self.latencyWindowS = latencyWindowS
        self.maxLatencySamples = maxLatencySamples
        self.clock = clock
        self.started = clock.now
    }

    /// A clip was classified in `latencyMS` milliseconds (receive to result).
    public func recordClip(device: String, latencyMS: Double) {
        let now = clock.now
        lock.withLock {
            clips += 1
            devices[device, default: .init()].clips += 1
            devices[device, default: .init()].lastSeen = now
            latencies.append((now, latencyMS))
            if latencies.count > maxLatencySamples { latencies.removeFirst(latencies.count - maxLatencySamples) }
        }
    }

    /// A payload was rejected or failed with `code` (device nil when the topic had none).
    public func recordError(device: String?, code: String) {
        let now = clock.now
        lock.withLock {
            errors += 1
            errorsByCode[code, default: 0] += 1
            if let device {
                devices[device, default: .init()].errors += 1
                devices[device, default: .init()].lastSeen = now
            }
        }
    }

    /// A queued clip was dropped or refused because the work queue was full.
    public func recordDrop(device: String) {
        lock.withLock {
            drops += 1
            devices[device, default: .init()].drops += 1
        }
    }

    /// The broker connection was re-established.
    public func recordReconnect() { lock.withLock { reconnects += 1 } }

    /// The current work queue depth (a gauge).
    public func setQueueDepth(_ depth: Int) { lock.withLock { queueDepth = depth } }

    /// The current numbers.
    public func snapshot() -> Snapshot {
        let now = clock.now
        return lock.withLock {
            latencies.removeAll { now.timeIntervalSince($0.at) > latencyWindowS }
            let sorted = latencies.map(\.ms).sorted()
            let latency = Snapshot.Latency(p50: Self.percentile(sorted, 0.50), p95: Self.percentile(sorted, 0.95),
                                           max: sorted.last, samples: sorted.count, windowS: latencyWindowS)
            return Snapshot(at: now, uptimeS: now.timeIntervalSince(started), clips: clips, errors: errors, drops: drops,
                            reconnects: reconnects, queueDepth: queueDepth, errorsByCode: errorsByCode,
                            latencyMS: latency, devices: devices)
        }
    }

    /// The `<prefix>/stats` payload (sorted keys, RFC 3339 dates).
    public func renderJSON() throws -> Data {
        try WireJSON.encoder.encode(snapshot())
    }

    /// Nearest-rank percentile of sorted values.
    static func percentile(_ sorted: [Double], _ q: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((q * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }

    /// Prometheus text exposition (version 0.0.4) of the current numbers.
    public func prometheusText(queueCapacity: Int? = nil) -> String {
        let s = snapshot()
        var lines: [String] = []
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: Double)]) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
            for sample in samples { lines.append("\(name)\(sample.labels) \(Self.format(sample.value))") }
        }
        func label(_ key: String, _ value: String) -> String {
            let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n")
            return "{\(key)=\"\(escaped)\"}"
        }
        let devices = s.devices.keys.sorted()
        metric("emotiond_clips_total", "counter", "Clips classified.",
               devices.map { (label("device", $0), Double(s.devices[$0]!.clips)) })
        metric("emotiond_errors_total", "counter", "Rejected or failed payloads by error code.",
               s.errorsByCode.keys.sorted().map { (label("code", $0), Double(s.errorsByCode[$0]!)) })
        metric("emotiond_drops_total", "counter", "Clips dropped because the queue was full.",
               devices.map { (label("device", $0), Double(s.devices[$0]!.drops)) })
        metric("emotiond_reconnects_total", "counter", "Broker reconnections.", [("", Double(s.reconnects))])
        metric("emotiond_queue_depth", "gauge", "Clips waiting for a worker.", [("", Double(s.queueDepth))])
        if let queueCapacity {
            metric("emotiond_queue_capacity", "gauge", "Work queue capacity.", [("", Double(queueCapacity))])
        }
        var quantiles: [(String, Double)] = []
        if let p50 = s.latencyMS.p50 { quantiles.append(("{quantile=\"0.5\"}", p50 / 1000)) }
        if let p95 = s.latencyMS.p95 { quantiles.append(("{quantile=\"0.95\"}", p95 / 1000)) }
        metric("emotiond_clip_latency_seconds", "summary",
               "Receive-to-result latency over the last \(Self.format(s.latencyMS.windowS)) s.", quantiles)
        lines.append("emotiond_clip_latency_seconds_count \(s.latencyMS.samples)")
        metric("emotiond_uptime_seconds", "gauge", "Seconds since start.", [("", s.uptimeS)])
        return lines.joined(separator: "\n") + "\n"
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
