import Foundation

/// Wall-clock time as the daemon's time-based parts see it (pairing windows, state windows,
/// episode timeouts, stats). Injected so tests can move time by hand (``ManualClock``).
public protocol DaemonClock: Sendable {
    var now: Date { get }
}

/// The real clock.
public struct SystemClock: DaemonClock {
    public init() {}
    public var now: Date { Date() }
}

/// A clock that only moves when told to: for tests and for replaying recorded events.
public final class ManualClock: DaemonClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    public init(_ start: Date = Date(timeIntervalSince1970: 1_700_000_000)) { current = start }

    public var now: Date { lock.withLock { current } }

    /// Moves time forward by `seconds`.
    public func advance(by seconds: TimeInterval) { lock.withLock { current += seconds } }

    /// Sets the time.
    public func set(_ date: Date) { lock.withLock { current = date } }
}
