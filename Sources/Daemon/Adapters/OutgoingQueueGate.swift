import Foundation

/// Lets publishers wait for room in the MQTT client's outgoing queue while the broker is
/// connected but slow to acknowledge, instead of failing at once.
///
/// `MQTTClient.publish` throws `queue-full` once `mqtt.max_queued_messages` QoS 1 messages
/// await acknowledgement. That bound is meant for a broker that is away; but under a flood the
/// daemon answers thousands of messages per second (one `dropped` event each) while the broker
/// is also busy, and without waiting those events were lost (475 of 10,000 in the flood test).
/// Waiters are parked as continuations and a single poller task (every `pollInterval`, only
/// while someone waits) wakes as many as there is room for, so a burst costs memory per
/// waiting message but no busy loops.
///
/// Thread safety: `waitForRoom()` may be called from any task.
final class OutgoingQueueGate: @unchecked Sendable {
    /// Free slots in the outgoing queue now; nil when the client is not connected.
    private let room: @Sendable () -> Int?
    private let pollInterval: UInt64
    private let lock = NSLock()
    // Guarded by `lock`.
    private var waiters: [(continuation: CheckedContinuation<Bool, Never>, deadline: Date)] = []
    private var polling = false

    /// - Parameters:
    ///   - room: free slots (`max_queued_messages` - outstanding), nil while disconnected.
    ///   - pollIntervalS: how often the poller looks while someone waits.
    init(pollIntervalS: Double = 0.005, room: @escaping @Sendable () -> Int?) {
        self.room = room
        pollInterval = UInt64(max(0.001, pollIntervalS) * 1_000_000_000)
    }

    /// Suspends until there is room (true), or the client is disconnected or `deadline`
    /// passed (false: the caller should fail as it would have without waiting).
    func waitForRoom(until deadline: Date) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let startPoller: Bool = lock.withLock {
                waiters.append((continuation, deadline))
                defer { polling = true }
                return !polling
            }
            if startPoller { Task { await self.poll() } }
        }
    }

    /// Tasks waiting now (tests).
    var waiting: Int { lock.withLock { waiters.count } }

    private func poll() async {
        while true {
            try? await Task.sleep(nanoseconds: pollInterval)
            let free = room()
            let now = Date()
            let (woken, expired, done) = lock.withLock { () -> ([CheckedContinuation<Bool, Never>], [CheckedContinuation<Bool, Never>], Bool) in
                let expired = waiters.filter { $0.deadline <= now }.map(\.continuation)
                waiters.removeAll { $0.deadline <= now }
                let n = free.map { min(max(0, $0), waiters.count) } ?? waiters.count
                let woken = waiters.prefix(n).map(\.continuation)
                waiters.removeFirst(n)
                if waiters.isEmpty { polling = false }
                return (woken, expired, waiters.isEmpty)
            }
            for waiter in expired { waiter.resume(returning: false) }
            for waiter in woken { waiter.resume(returning: free != nil) }
            if done { return }
        }
    }
}
