import Foundation
import Fusion
import Logging
import Store

/// ``ResultStoring`` over the Store module's `AggregateStore`: results are batched in memory and
/// written by one serial queue (the single SQLite writer), at `store.batch_size` results or every
/// `store.flush_interval_s`, whichever comes first; retention runs at start and hourly.
///
/// Why buffered: one transaction per clip would cost an fsync-ish WAL commit each; batches keep
/// the writer cheap under a flood. Nothing is lost by a kill -9 in between: each result's
/// `written` callback (which lets the engine drop the clip's journal entry) runs only after its
/// batch commits, so an unwritten result's clip is replayed at the next start, and the store
/// ignores a clip it has seen, so replays never double-count.
public final class AggregateResultStore: ResultStoring, @unchecked Sendable {
    /// The open database (replaced by ``update(store:)`` when retention settings change).
    public var store: AggregateStore { queue.sync { current } }
    private let queue = DispatchQueue(label: "emotiond-store")
    // Touched only on `queue` after init.
    private var current: AggregateStore
    private let batchSize: Int
    private var logger: Logger
    private var timer: DispatchSourceTimer?
    // Touched only on `queue`.
    private var pending: [(result: StoredResult, written: @Sendable () -> Void)] = []
    private var lastRetention = Date.distantPast

    /// Opens (creating and migrating) the database and starts the flush timer.
    ///
    /// - Throws: `StoreError` (`cannot_open`, `incompatible`).
    public init(configuration c: DaemonConfiguration, logger: Logger = Logger(label: "emotiond.store")) throws {
        current = try AggregateStore(path: c.store.path, configuration: Self.settings(c.store))
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

    /// Store settings from the `store.*` keys. Minute buckets are for recent detail (at most 7
    /// days), hours for at most 90 days; day buckets keep `retention_days_buckets`.
    static func settings(_ s: DaemonConfiguration.Store) -> AggregateStore.Configuration {
        var settings = AggregateStore.Configuration()
        settings.perClipRows = s.perClipRows
        settings.clipRetention = Double(s.retentionDaysClips) * 86_400
        let buckets = Double(s.retentionDaysBuckets) * 86_400
        settings.minuteRetention = min(buckets, 7 * 86_400)
        settings.hourRetention = min(buckets, 90 * 86_400)
        settings.dayRetention = buckets
        return settings
    }

    /// SIGHUP: applies changed retention keys by reopening the database with the new
    /// settings (after writing what is pending) and running retention at once.
    public func update(store s: DaemonConfiguration.Store) {
        queue.async {
            let old = self.current.configuration
            var settings = Self.settings(s)
            settings.perClipRows = old.perClipRows // needs a restart, like the path
            guard old.clipRetention != settings.clipRetention || old.minuteRetention != settings.minuteRetention
                || old.hourRetention != settings.hourRetention || old.dayRetention != settings.dayRetention else { return }
            self.writePending()
            do {
                self.current = try AggregateStore(path: self.current.path, configuration: settings)
                self.lastRetention = .distantPast
                self.retentionIfDue()
            } catch {
                self.logger.error("store: cannot apply the new retention settings: \(error)")
            }
        }
    }

    public func record(_ event: EmotionEvent, written: @escaping @Sendable () -> Void) async throws {
        let result = StoredResult(event: event)
        queue.async {
            self.pending.append((result, written))
            if self.pending.count >= self.batchSize { self.writePending() }
        }
    }

    public func recordError(_ event: ErrorEvent) async throws {
        // Errors without a device (an unusable topic) have no bucket to count in.
        guard let device = event.device else { return }
        try await onQueue { try self.current.recordError(device: device, code: event.code, at: event.at) }
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
            try current.record(batch: batch.map(\.result))
            for item in batch { item.written() }
        } catch {
            for (result, written) in batch {
                do {
                    try current.record(result)
                    written()
                } catch {
                    // Its clip stays journaled and is tried again at the next start.
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
            let report = try current.applyRetention(now: now)
            logger.debug("store retention: \(report)")
        } catch {
            logger.error("store retention: \(error)")
        }
    }
}
