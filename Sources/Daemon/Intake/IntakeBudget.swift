import Foundation

/// Bounds the payload bytes held in memory between the broker and the spool.
///
/// libmosquitto acknowledges a QoS 1 message as soon as it arrives, so the broker never slows
/// a flood down for us, and journaling (two fsyncs per clip) is far slower than the network:
/// 10,000 clips of 16 kB published in 3 s sat in the intake queue as 160 MB of payloads
/// while the spool took a minute to journal them (docs/RELIABILITY.md). Every message is
/// therefore admitted against this budget before it is queued for journaling; one that does
/// not fit is refused at once with an `intake_overloaded` error event and never journaled.
///
/// That keeps the daemon's rule "a clip is accepted once it is journaled": a refused clip was
/// never accepted, and its sender learns so from the error event (the MQTT acknowledgement
/// alone says nothing about acceptance).
///
/// A message is admitted when it fits (`pending + size <= limit`) or when nothing is pending,
/// so a single payload up to `intake.max_payload_bytes` always gets in on an idle daemon even
/// if the budget is set lower.
///
/// Thread safety: all members may be used from any thread (admission on the broker's stream,
/// release on the intake queue).
public final class IntakeBudget: @unchecked Sendable {
    private let lock = NSLock()
    // Guarded by `lock`.
    private var limit: Int
    private var pending = 0
    private var peak = 0

    /// - Parameter limitBytes: `intake.max_pending_bytes`.
    public init(limitBytes: Int) {
        precondition(limitBytes > 0, "limitBytes must be positive")
        limit = limitBytes
    }

    /// The budget in bytes (`intake.max_pending_bytes`; live-reloadable).
    public var limitBytes: Int {
        get { lock.withLock { limit } }
        set { lock.withLock { limit = max(1, newValue) } }
    }

    /// Payload bytes admitted and not yet released.
    public var pendingBytes: Int { lock.withLock { pending } }

    /// The most bytes ever pending at once (for tests and the figures in docs/RELIABILITY.md).
    public var peakPendingBytes: Int { lock.withLock { peak } }

    /// Reserves `bytes` if they fit; returns false (reserving nothing) otherwise.
    public func reserve(_ bytes: Int) -> Bool {
        lock.withLock {
            guard pending == 0 || pending + bytes <= limit else { return false }
            pending += bytes
            peak = max(peak, pending)
            return true
        }
    }

    /// Returns bytes reserved by ``reserve(_:)`` once their message is journaled or refused.
    public func release(_ bytes: Int) {
        lock.withLock { pending = max(0, pending - bytes) }
    }
}
