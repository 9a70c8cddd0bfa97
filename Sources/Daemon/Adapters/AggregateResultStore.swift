import Foundation
import Fusion
import Logging
import Store

/// ``ResultStoring`` over the Store module's `AggregateStore`: results are batched in memory and
/// written by one serial queue (the single SQLite writer), at `store.batch_size` results or every
/// `store.flush_interval_s`, whichever comes first; retention runs at start and hourly.
///
/// Why buffered: one transaction per clip would cost an fsync-ish WAL commit each; batches keep
/// the writer cheap under a flood. The trade-off: a kill -9 loses at most the last
/// `flush_interval_s` of aggregates (the events themselves were already published; the store
/// ignores a clip it has seen, so replays never double-count).
public final class AggregateResultStore: ResultStoring, @unchecked Sendable {
    public let store: AggregateStore
    private let queue = DispatchQueue(label: "emotiond-store")
    private let batchSize: Int
    private var logger: Logger
    private var timer: DispatchSourceTimer?
    // Touched only on `queue`.
    private var pending: [StoredResult] = []
    private var lastRetention = Date.distantPast

    /// Opens (creating and migrating) the database and starts the flush timer.
    ///
    /// - Throws: `StoreError` (`cannot_open`, `incompatible`).
    public init(configuration c: DaemonConfiguration, logger: Logger = Logger(label: "emotiond.store")) throws {
        var settings = AggregateStore.Configuration()
        settings.perClipRows = c.store.perClipRows
        settings.clipRetention = Double(c.store.retentionDaysClips) * 86_400
        let buckets = Double(c.store.retentionDaysBuckets) * 86_400
        // Minute buckets are for recent detail; hours and days carry the long history.
        settings.minuteRetention = min(buckets, 7 * 86_400)
        settings.hourRetention = min(buckets, 90 * 86_400)
        settings.dayRetention = buckets
        store = try AggregateStore(path: c.store.path, configuration: settings)
        batchSize = c.store.batchSize
        self.logger = logger
        let timer = DispatchSource.makeTimerSource(queue: queue)
        let interval = DispatchTimeInterval.milliseconds(max(10, Int(c.store.flushIntervalS * 1000)))
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler { [weak self] in self?.writePending() }
        timer.resume()
        self.timer = timer
        queue.async { self.retentionIfDue() }
    }

    deinit { timer?.cancel() }

    public func record(_ event: EmotionEvent) async throws {
        let result = StoredResult(event: event)
        queue.async {
            self.pending.append(result)
            if self.pending.count >= self.batchSize { self.writePending() }
        }
    }

    public func recordError(_ event: ErrorEvent) async throws {
        // Errors without a device (an unusable topic) have no bucket to count in.
        guard let device = event.device else { return }
        try await onQueue { try self.store.recordError(device: device, code: event.code, at: event.at) }
    }

    public func flush() async throws {
        try await onQueue { self.writePending() }
    }

    /// Stops the timer after writing what is pending (call before exit).
    public func close() {
        queue.sync { writePending() }
        timer?.cancel()
    }

    private func onQueue<T>(_ body: @escaping () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Writes the batch in one transaction. A batch refused as a whole (one invalid result) is
    /// retried one by one, so only the bad result is lost, and logged.
    private func writePending() {
        retentionIfDue()
        guard !pending.isEmpty else { return }
        let batch = pending
        pending = []
        do {
            try store.record(batch: batch)
        } catch {
            for result in batch {
                do { try store.record(result) } catch {
                    logger.error("store: dropped result of \(result.device)/\(result.clipID): \(error)")
                }
            }
        }
    }

    private func retentionIfDue() {
        let now = Date()
        guard now.timeIntervalSince(lastRetention) >= 3600 else { return }
        lastRetention = now
        do {
            let report = try store.applyRetention(now: now)
            logger.debug("store retention: \(report)")
        } catch {
            logger.error("store retention: \(error)")
        }
    }
}
