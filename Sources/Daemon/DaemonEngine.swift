import Foundation
import Fusion
import Logging

/// The daemon's run loop written against its ports only (``ClipProcessing``,
/// ``EventPublishing``, ``ResultStoring``): intake, spool, pairing, the fair bounded queue,
/// workers, results, state, episodes, stats, Home Assistant discovery, sd_notify, reload and
/// drain. `emotiond serve` adds the adapters over Broker, Pipeline and Store and calls:
///
///     let engine = DaemonEngine(configuration: config, processor: ..., publisher: ..., store: ..., spool: spool)
///     broker.connect(will: engine.messages.lastWill); broker.subscribe(engine.subscriptions)
///     broker.onMessage = { engine.handle($0) }          // from the network thread
///     broker.onConnect = { isReconnect in Task { await engine.connected(isReconnect: isReconnect) } }
///     try await engine.start()                           // replays the spool, starts workers and timers
///     SIGHUP: engine.reload(newConfig); SIGTERM: await engine.drain()
///
/// Thread safety: `handle` may be called from any thread; the pairing buffer, episode tracker
/// and configuration are guarded by one lock; the queue, spool and stats are thread-safe.
/// Results are at-least-once: a spool entry is completed only after its result (or error
/// event) was handed to the publisher and the store.
public final class DaemonEngine: @unchecked Sendable {
    public let messages: MessageFactory
    public let queue: WorkQueue<ClipJob>
    public let stats: StatsCollector
    public let discovery: HomeAssistantDiscovery?
    private let processor: any ClipProcessing
    private let publisher: any EventPublishing
    private let store: any ResultStoring
    private let spool: Spool?
    private let clock: any DaemonClock
    private let notifier: SystemdNotifier
    private var logger: Logger

    private let lock = NSLock()
    // Guarded by `lock`.
    private var configuration: DaemonConfiguration
    private var intake: ClipIntake
    private var pairing: PairingBuffer
    private var tracker: EpisodeTracker
    private var lastStatsAt: Date
    private var lastWatchdogAt: Date
    private var workers: [Task<Void, Never>] = []
    private var ticker: Task<Void, Never>?
    private var exporter: PrometheusExporter?
    /// Error events of refused and dropped clips, reported one after another by a single task
    /// (with the spool entries to forget once reported). A task per event made a flood of
    /// thousands of refusals crowd the concurrency pool.
    private let reports: AsyncStream<(ErrorEvent, [SpoolEntry])>.Continuation
    /// Error events for the store, written by a task of their own so a slow SQLite write never
    /// holds back the events on MQTT: one error costs a write transaction (~3 ms in a debug
    /// build), so under a flood the store counts errors far slower than the network refuses
    /// clips. At most ``storeBacklogLimit`` wait; beyond that an error is published and counted
    /// in `emotiond/stats` but not in the SQLite error counts (counted in ``unstoredErrors``
    /// and logged once per burst).
    private let errorRecords: AsyncStream<ErrorEvent>.Continuation
    /// Error records waiting for the store (guarded by `lock`).
    private var errorRecordsPending = 0
    /// Errors not stored because ``storeBacklogLimit`` records were waiting (guarded by `lock`).
    private var unstored = 0
    /// Most error records waiting for the store (about 0.3 kB each).
    public static let storeBacklogLimit = 10_000

    public init(configuration: DaemonConfiguration, processor: any ClipProcessing, publisher: any EventPublishing,
                store: any ResultStoring, spool: Spool?, clock: any DaemonClock = SystemClock(),
                notifier: SystemdNotifier = SystemdNotifier(), logger: Logger = Logger(label: "emotiond")) throws {
        // Bounds such as a positive queue capacity are preconditions of the parts below.
        try configuration.validate(checkingFiles: false)
        let router = try TopicRouter(configuration: configuration)
        self.configuration = configuration
        self.messages = MessageFactory(router: router)
        self.queue = WorkQueue(capacity: configuration.workers.queueCapacity, policy: configuration.workers.overflowPolicy,
                               perDeviceFairness: configuration.workers.perDeviceFairness)
        self.stats = StatsCollector(latencyWindowS: configuration.outputs.statsIntervalS, clock: clock)
        self.discovery = configuration.outputs.homeAssistant.enabled
            ? HomeAssistantDiscovery(discoveryPrefix: configuration.outputs.homeAssistant.discoveryPrefix, router: router) : nil
        self.processor = processor
        self.publisher = publisher
        self.store = store
        self.spool = spool
        self.clock = clock
        self.notifier = notifier
        self.logger = logger
        self.logger.logLevel = Logger.Level(rawValue: configuration.logging.level) ?? .info
        self.intake = ClipIntake(router: router, limits: configuration.intake, spool: spool, clock: clock)
        self.pairing = PairingBuffer(windowS: configuration.pairing.windowS, clock: clock)
        self.tracker = EpisodeTracker(settings: configuration.state, clock: clock)
        self.lastStatsAt = clock.now
        self.lastWatchdogAt = clock.now
        let (reportStream, reports) = AsyncStream<(ErrorEvent, [SpoolEntry])>.makeStream()
        self.reports = reports
        let (recordStream, errorRecords) = AsyncStream<ErrorEvent>.makeStream(bufferingPolicy: .bufferingOldest(Self.storeBacklogLimit))
        self.errorRecords = errorRecords
        Task { [weak self] in
            for await event in recordStream {
                guard let self else { return }
                do { try await self.store.recordError(event) } catch { self.logger.error("store: \(error)") }
                self.lock.withLock { self.errorRecordsPending -= 1 }
            }
        }
        Task { [weak self] in
            for await (event, entries) in reportStream {
                guard let self else { return }
                await self.reportNow(event)
                self.complete(entries)
            }
        }
    }

    deinit {
        reports.finish()
        errorRecords.finish()
    }

    /// Errors published but not written to the store because its backlog was full.
    public var unstoredErrors: Int { lock.withLock { unstored } }

    /// Topic filters to subscribe (QoS 1): the inputs, plus Home Assistant's status topic.
    public var subscriptions: [String] {
        messages.router.inputFilters + (discovery.map { [$0.statusTopic] } ?? [])
    }

    /// The configuration in force (after reloads).
    public var currentConfiguration: DaemonConfiguration { lock.withLock { configuration } }

    // MARK: Lifecycle

    /// Replays the spool, starts the workers and (unless `timers` is false, as in tests) the
    /// one-second ticker. Returns the number of replayed clips.
    @discardableResult
    public func start(timers: Bool = true) async throws -> Int {
        var replayed = 0
        if let spool {
            let recovery = try spool.recover()
            if recovery.removedPartials + recovery.removedCorrupt > 0 {
                logger.warning("spool: removed \(recovery.removedPartials) partial and \(recovery.removedCorrupt) corrupt files")
            }
            for entry in recovery.entries {
                do {
                    enqueue(offer(try intake.replay(entry)))
                    replayed += 1
                } catch {
                    logger.error("spool: cannot replay \(entry.path): \(error)")
                    try? spool.complete(entry)
                }
            }
        }
        let config = currentConfiguration
        if config.outputs.prometheus.enabled {
            let stats = self.stats, capacity = config.workers.queueCapacity
            let exporter = PrometheusExporter(bind: config.outputs.prometheus.bind, port: config.outputs.prometheus.port) {
                stats.prometheusText(queueCapacity: capacity)
            }
            try exporter.start()
            lock.withLock { self.exporter = exporter }
        }
        let count = config.workers.effectiveCount
        let tasks = (0..<count).map { _ in Task { await self.workerLoop() } }
        var tickerTask: Task<Void, Never>?
        if timers {
            tickerTask = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(nanoseconds: 250_000_000)
                    await self.tick()
                }
            }
        }
        lock.withLock {
            workers = tasks
            ticker = tickerTask
        }
        try? notifier.ready(status: "replayed \(replayed) spooled clips, \(count) workers")
        logger.info("started: \(count) workers, replayed \(replayed) spooled clips")
        return replayed
    }

    /// Call after every (re)connection: publishes `online` and, on reconnects, counts them.
    public func connected(isReconnect: Bool) async {
        if isReconnect { stats.recordReconnect() }
        await send(messages.availability(online: true))
    }

    /// SIGTERM: stop taking clips, release waiting chunks, let the workers finish for up to
    /// `drain_timeout_s`, then flush the store and publish `offline`. Clips still queued
    /// after the timeout stay in the spool.
    public func drain() async {
        try? notifier.stopping(status: "draining \(queue.depth) queued clips")
        let (released, timeout, tasks, tickerTask) = lock.withLock {
            (pairing.flush(), configuration.drainTimeoutS, workers, ticker)
        }
        tickerTask?.cancel()
        enqueue(released)
        queue.close()
        let finished = await withTaskGroup(of: Bool.self) { group -> Bool in
            group.addTask {
                for task in tasks { await task.value }
                return true
            }
            group.addTask {
                try? await Task.sleep(nanoseconds: UInt64(max(0, timeout) * 1_000_000_000))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        if !finished {
            let left = queue.removeAll()
            logger.warning("drain timeout: \(left.count) clips stay in the spool for the next start")
        }
        await waitForErrorRecords(timeout: 2)
        try? await store.flush()
        await send(messages.availability(online: false))
        lock.withLock { exporter }?.stop()
    }

    /// SIGHUP with a validated new configuration: applies the live keys, returns the keys that
    /// changed but need a restart (to log).
    @discardableResult
    public func reload(_ new: DaemonConfiguration) -> [String] {
        try? notifier.reloading()
        let needsRestart: [String] = lock.withLock {
            let restart = configuration.changesNeedingRestart(toward: new)
            configuration = configuration.reloadable(from: new)
            intake.limits = configuration.intake
            if let router = try? TopicRouter(configuration: configuration) { intake.router = router }
            pairing.windowS = configuration.pairing.windowS
            tracker.settings = configuration.state
            return restart
        }
        logger.logLevel = Logger.Level(rawValue: new.logging.level) ?? logger.logLevel
        if !needsRestart.isEmpty { logger.warning("reload: restart needed to apply \(needsRestart.joined(separator: ", "))") }
        try? notifier.ready(status: "configuration reloaded")
        return needsRestart
    }

    // MARK: Input

    /// One message from the broker (any thread). Returns once the clip is journaled (or
    /// refused), so the broker adapter calls it on the MQTT network thread: nothing received
    /// waits unjournaled in memory (see `MQTTClient.handleMessages(_:)`).
    public func handle(_ message: InboundMessage) {
        if let discovery, message.topic == discovery.statusTopic {
            let configs = discovery.handleStatus(topic: message.topic, payload: message.payload)
            if !configs.isEmpty { Task { for m in configs { await self.send(m) } } }
            return
        }
        // Journaling fsyncs: do it outside the lock (ClipIntake is a value; its Spool is thread-safe).
        let intake = lock.withLock { self.intake }
        let result = intake.accept(message)
        switch result {
        case .success(let clip):
            enqueue(offer(clip))
        case .failure(let rejection):
            logger.notice("rejected \(message.topic): \(rejection.code): \(rejection.message)")
            report(rejection.event(at: clock.now))
        }
    }

    /// Timers: releases unpaired chunks, ends timed-out episodes, publishes stats and pings
    /// the watchdog when due. The ticker calls it 4 times a second; tests call it directly.
    public func tick() async {
        let now = clock.now
        let (released, ended, statsDue, watchdogDue) = lock.withLock { () -> ([ClipJob], [EpisodeTracker.Update], Bool, Bool) in
            let statsDue = now.timeIntervalSince(lastStatsAt) >= configuration.outputs.statsIntervalS
            if statsDue { lastStatsAt = now }
            var watchdogDue = false
            if let interval = notifier.watchdogInterval, now.timeIntervalSince(lastWatchdogAt) >= interval {
                lastWatchdogAt = now
                watchdogDue = true
            }
            return (pairing.expire(), tracker.tick(), statsDue, watchdogDue)
        }
        enqueue(released)
        for update in ended { await publish(update) }
        if statsDue {
            stats.setQueueDepth(queue.depth)
            if let message = try? messages.stats(stats.snapshot()) { await send(message) }
            try? notifier.status("\(stats.snapshot().clips) clips, queue \(queue.depth)")
        }
        if watchdogDue { try? notifier.watchdog() }
    }

    // MARK: Internals

    private func offer(_ clip: AcceptedClip) -> [ClipJob] {
        lock.withLock { pairing.offer(clip) }
    }

    private func enqueue(_ jobs: [ClipJob]) {
        for job in jobs {
            switch queue.enqueue(job, device: job.device) {
            case .accepted:
                break
            case .acceptedDropping(let evicted, let device):
                stats.recordDrop(device: device)
                fail(evicted, code: DaemonErrorCode.dropped, message: "work queue full (drop_oldest): clip dropped")
            case .rejectedFull(let refused):
                stats.recordDrop(device: refused.device)
                fail(refused, code: DaemonErrorCode.queueFull, message: "work queue full (reject_new): clip refused")
            case .rejectedClosed:
                // Shutting down: the clip stays in the spool and is processed at the next start.
                break
            }
            stats.setQueueDepth(queue.depth)
        }
    }

    /// Reports a job that will not be processed and forgets its spool entries.
    private func fail(_ job: ClipJob, code: String, message: String) {
        let event = ErrorEvent(device: job.device, clipID: job.clipID, code: code, message: message, at: clock.now)
        // Capture the journal entries, not the job: the payload is freed now, which keeps memory
        // flat under a flood even while error events wait to be sent.
        report(event, completing: job.spoolEntries)
    }

    /// Queues `event` for the reporting task; `entries` are forgotten once it is reported.
    private func report(_ event: ErrorEvent, completing entries: [SpoolEntry] = []) {
        reports.yield((event, entries))
    }

    private func reportNow(_ event: ErrorEvent) async {
        stats.recordError(device: event.device, code: event.code)
        if let message = try? messages.error(event) { await send(message) }
        lock.withLock { errorRecordsPending += 1 }
        if case .dropped = errorRecords.yield(event) {
            let first: Bool = lock.withLock {
                errorRecordsPending -= 1
                unstored += 1
                return unstored == 1 || unstored % 1_000 == 0
            }
            if first { logger.warning("store: \(Self.storeBacklogLimit) error records wait; \(unstoredErrors) errors published but not stored") }
        }
    }

    /// Waits (at most `timeout`) until the error records queued so far are in the store.
    private func waitForErrorRecords(timeout: TimeInterval) async {
        let deadline = Date().addingTimeInterval(timeout)
        while lock.withLock({ errorRecordsPending }) > 0 && Date() < deadline {
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
    }

    private func workerLoop() async {
        while let job = await queue.next() {
            stats.setQueueDepth(queue.depth)
            await process(job)
        }
    }

    private func process(_ job: ClipJob) async {
        let event: EmotionEvent
        do {
            event = try await processor.process(job)
        } catch {
            let code = DaemonErrorCode.code(for: error)
            let message = DaemonErrorCode.message(for: error)
            logger.notice("clip \(job.clipID) of \(job.device) failed: \(code): \(message)")
            await reportNow(ErrorEvent(device: job.device, clipID: job.clipID, code: code, message: message, at: clock.now))
            complete(job)
            return
        }
        var delivered = true
        if let discovery { for m in discovery.announce(device: event.device) { delivered = await send(m) && delivered } }
        if let message = try? messages.emotion(event) { delivered = await send(message) && delivered }
        let update = lock.withLock { tracker.record(event) }
        await publish(update)
        // At-least-once: the journal entry goes only when the result got out AND its aggregate
        // is written (the store batches, so that may come later); otherwise the clip is replayed
        // at the next start, and the store ignores a clip it already has.
        let entries = job.spoolEntries
        let published = delivered
        do {
            try await store.record(event) { [weak self] in if published { self?.complete(entries) } }
        } catch {
            logger.error("store: \(error)")
        }
        let received = job.parts.map(\.receivedAt).min() ?? event.processedAt
        stats.recordClip(device: job.device, latencyMS: max(0, clock.now.timeIntervalSince(received)) * 1000)
    }

    private func publish(_ update: EpisodeTracker.Update) async {
        if let message = try? messages.state(update.state) { await send(message) }
        for event in update.events {
            if let message = try? messages.episode(event) { await send(message) }
        }
    }

    @discardableResult
    private func send(_ message: OutboundMessage) async -> Bool {
        do {
            try await publisher.publish(message)
            return true
        } catch {
            logger.error("publish \(message.topic): \(error)")
            return false
        }
    }

    private func complete(_ job: ClipJob) { complete(job.spoolEntries) }

    private func complete(_ entries: [SpoolEntry]) {
        guard let spool else { return }
        for entry in entries {
            do { try spool.complete(entry) } catch { logger.error("spool: \(error)") }
        }
    }
}
