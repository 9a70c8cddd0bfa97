import Foundation

/// Wall time per pipeline stage, in the order the stages ran (`latency_ms` of an event).
public struct StageTimer: Sendable {
    private let start: UInt64
    private var last: UInt64
    public private(set) var milliseconds: [String: Double] = [:]

    public init() {
        start = DispatchTime.now().uptimeNanoseconds
        last = start
    }

    /// Ends the current stage under `name` (adding to it if the stage ran before).
    public mutating func lap(_ name: String) {
        let now = DispatchTime.now().uptimeNanoseconds
        milliseconds[name, default: 0] += Double(now - last) / 1e6
        last = now
    }

    /// The stages plus `total` since the timer started.
    public var millisecondsWithTotal: [String: Double] {
        var out = milliseconds
        out["total"] = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        return out
    }
}
