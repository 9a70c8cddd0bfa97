import Foundation

/// The bounded queue between intake and the workers (DESIGN section 3).
///
/// - Bounded: at most `capacity` items across all devices, so a flood cannot grow memory.
/// - Fair: with `perDeviceFairness`, ``next()`` serves devices round-robin (one item per
///   device per turn), so a chatty camera does not delay a quiet one; without it, plain FIFO.
/// - Overflow: ``OverflowPolicy/dropOldest`` evicts the oldest item of the device holding the
///   most items (the flooder pays, not its neighbours; plain FIFO evicts the oldest overall),
///   ``OverflowPolicy/rejectNew`` refuses the new one. Either way the loser is handed back
///   so the caller can finish its spool entry and publish an error event; counters are kept
///   per device.
/// - Draining: after ``close()`` nothing new is accepted and ``next()`` returns what is left,
///   then nil, which tells the worker loops to end.
///
/// Thread safety: all methods may be called from any thread (enqueue from the MQTT thread,
/// `next()` from worker tasks); state is guarded by one lock.
public final class WorkQueue<Element: Sendable>: @unchecked Sendable {
    /// The result of ``enqueue(_:device:)``.
    public enum EnqueueOutcome {
        /// Queued (or handed straight to a waiting worker).
        case accepted
        /// Queued; to make room, `evicted` (of `device`) was dropped.
        case acceptedDropping(evicted: Element, device: String)
        /// Refused because the queue is full (reject_new).
        case rejectedFull(Element)
        /// Refused because the queue is closed (draining).
        case rejectedClosed(Element)
    }

    /// Counters of one device.
    public struct DeviceCounters: Equatable, Sendable {
        /// Items accepted into the queue.
        public var enqueued = 0
        /// Items evicted by drop_oldest.
        public var dropped = 0
        /// Items refused by reject_new.
        public var rejected = 0
        /// Items currently waiting.
        public var queued = 0
    }

    public let capacity: Int
    public let policy: OverflowPolicy
    public let perDeviceFairness: Bool

    private struct Item {
        let sequence: UInt64
        let element: Element
    }

    private let lock = NSLock()
    // Everything below is guarded by `lock`.
    private var queues: [String: [Item]] = [:]
    /// Devices with queued items, in round-robin order.
    private var ring: [String] = []
    private var count = 0
    private var sequence: UInt64 = 0
    private var closed = false
    private var waiters: [CheckedContinuation<Element?, Never>] = []
    private var counters: [String: DeviceCounters] = [:]

    public init(capacity: Int, policy: OverflowPolicy = .dropOldest, perDeviceFairness: Bool = true) {
        precondition(capacity > 0, "capacity must be positive")
        self.capacity = capacity
        self.policy = policy
        self.perDeviceFairness = perDeviceFairness
    }

    /// Adds `element` for `device` (never blocks).
    @discardableResult
    public func enqueue(_ element: Element, device: String) -> EnqueueOutcome {
        lock.lock()
        if closed {
            lock.unlock()
            return .rejectedClosed(element)
        }
        if !waiters.isEmpty {
            // The queue is empty whenever a worker waits: hand over directly.
            let waiter = waiters.removeFirst()
            counters[device, default: DeviceCounters()].enqueued += 1
            lock.unlock()
            waiter.resume(returning: element)
            return .accepted
        }
        var outcome = EnqueueOutcome.accepted
        if count >= capacity {
            switch policy {
            case .rejectNew:
                counters[device, default: DeviceCounters()].rejected += 1
                lock.unlock()
                return .rejectedFull(element)
            case .dropOldest:
                let victim = victimDevice()
                let evicted = removeHead(of: victim)
                counters[victim, default: DeviceCounters()].dropped += 1
                outcome = .acceptedDropping(evicted: evicted, device: victim)
            }
        }
        sequence += 1
        if queues[device, default: []].isEmpty { ring.append(device) }
        queues[device, default: []].append(Item(sequence: sequence, element: element))
        count += 1
        counters[device, default: DeviceCounters()].enqueued += 1
        counters[device, default: DeviceCounters()].queued += 1
        lock.unlock()
        return outcome
    }

    /// The next item for a worker, waiting while the queue is empty; nil once the queue is
    /// closed and empty.
    public func next() async -> Element? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Element?, Never>) in
            lock.lock()
            if let element = takeNext() {
                lock.unlock()
                continuation.resume(returning: element)
            } else if closed {
                lock.unlock()
                continuation.resume(returning: nil)
            } else {
                waiters.append(continuation)
                lock.unlock()
            }
        }
    }

    /// The next item if one is queued, without waiting.
    public func tryNext() -> Element? {
        lock.withLock { takeNext() }
    }

    /// Stops accepting; workers get the remaining items, then nil.
    public func close() {
        lock.lock()
        closed = true
        let idle = waiters
        waiters.removeAll()
        lock.unlock()
        for waiter in idle { waiter.resume(returning: nil) }
    }

    /// Removes and returns everything still queued (oldest first), e.g. when the drain
    /// timeout expires; those clips stay in the spool for the next start.
    public func removeAll() -> [Element] {
        lock.withLock {
            let all = queues.values.flatMap { $0 }.sorted { $0.sequence < $1.sequence }
            for (device, items) in queues { counters[device]?.queued -= items.count }
            queues.removeAll()
            ring.removeAll()
            count = 0
            return all.map(\.element)
        }
    }

    /// Items waiting.
    public var depth: Int { lock.withLock { count } }

    /// Whether ``close()`` was called.
    public var isClosed: Bool { lock.withLock { closed } }

    /// Counters per device (devices ever seen).
    public var deviceCounters: [String: DeviceCounters] { lock.withLock { counters } }

    // MARK: Under the lock

    private func takeNext() -> Element? {
        guard count > 0 else { return nil }
        let device: String
        if perDeviceFairness {
            device = ring[0]
        } else {
            device = ring.min { queues[$0]![0].sequence < queues[$1]![0].sequence }!
        }
        let element = removeHead(of: device)
        // Round-robin: a device that still has items goes to the back of the ring.
        if perDeviceFairness, let items = queues[device], !items.isEmpty {
            ring.removeFirst()
            ring.append(device)
        }
        return element
    }

    /// The device that loses an item under drop_oldest.
    private func victimDevice() -> String {
        if !perDeviceFairness {
            return ring.min { queues[$0]![0].sequence < queues[$1]![0].sequence }!
        }
        return ring.max { a, b in
            let (ca, cb) = (queues[a]!.count, queues[b]!.count)
            if ca != cb { return ca < cb }
            return queues[a]![0].sequence > queues[b]![0].sequence // older head wins ties
        }!
    }

    private func removeHead(of device: String) -> Element {
        let item = queues[device]!.removeFirst()
        count -= 1
        counters[device]?.queued -= 1
        if queues[device]!.isEmpty {
            queues[device] = nil
            ring.removeAll { $0 == device }
        }
        return item.element
    }
}
