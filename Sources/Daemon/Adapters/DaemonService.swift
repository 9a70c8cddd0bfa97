import Broker
import Foundation
import Logging
import Pipeline
import Store

/// `emotiond serve` as a library type: builds the adapters (Pipeline, Broker, Store) around a
/// ``DaemonEngine``, connects to the broker and runs until ``requestStop()``.
///
///     let service = try DaemonService(configuration: config, reloadSource: { try load() })
///     let signals = try SignalWatcher(signals: [SIGHUP, SIGTERM, SIGINT]) { s in
///         s == SIGHUP ? service.reload() : service.requestStop()
///     }
///     exit(await service.run())
///
/// Broker: persistent session under the configured client id, last will `<prefix>/available` =
/// `offline` (retained), `online` (retained) published after every (re)connection, inputs
/// subscribed before connecting (libmosquitto re-subscribes after reconnects). If the broker is
/// unreachable at start, the service keeps trying with the configured backoff.
///
/// Stop: the engine drains (at most `drain_timeout_s`), flushes the store and publishes
/// `offline`; the service waits (up to 3 s) until the broker acknowledged what is queued, then
/// disconnects cleanly (which suppresses the will, hence the explicit `offline`).
public final class DaemonService: @unchecked Sendable {
    public let engine: DaemonEngine
    public let processor: PipelineClipProcessor
    public let results: AggregateResultStore
    private let reloadSource: (@Sendable () throws -> DaemonConfiguration)?
    private let publisher = LateBoundPublisher()
    private var logger: Logger
    private let lock = NSLock()
    // Guarded by `lock`.
    private var client: MQTTClient?
    private var stopRequested = false
    private var stopContinuation: CheckedContinuation<Void, Never>?
    private var configuration: DaemonConfiguration

    /// Builds everything that can fail on configuration: classifiers (one per worker), the
    /// store, the spool and the engine. Nothing touches the network yet.
    ///
    /// - Parameter reloadSource: reads the configuration again on SIGHUP (nil: reload disabled).
    /// - Throws: ``ConfigError`` naming the key behind the problem (a model, the cascade, the
    ///   store path, the spool directory, the password file).
    public init(configuration: DaemonConfiguration, reloadSource: (@Sendable () throws -> DaemonConfiguration)? = nil,
                logger: Logger = Logger(label: "emotiond")) throws {
        self.configuration = configuration
        self.reloadSource = reloadSource
        var logger = logger
        logger.logLevel = Logger.Level(rawValue: configuration.logging.level) ?? .info
        self.logger = logger
        _ = try configuration.mqtt.resolvedPassword() // unreadable password file: a config error, now
        processor = try PipelineClipProcessor(configuration: configuration)
        do {
            results = try AggregateResultStore(configuration: configuration, logger: logger)
        } catch let error as StoreError {
            throw ConfigError(key: "store.path", kind: .invalidValue, message: error.message)
        }
        let spool: Spool
        do { spool = try Spool(directory: configuration.spool.dir) } catch {
            throw ConfigError(key: "spool.dir", kind: .invalidValue, message: "\(error)")
        }
        engine = try DaemonEngine(configuration: configuration, processor: processor,
                                  publisher: publisher, store: results, spool: spool, logger: logger)
    }

    /// Connects, starts the engine and serves until ``requestStop()``. Returns the exit status
    /// (0 after a clean drain).
    public func run() async -> Int32 {
        let config = lock.withLock { configuration }
        guard let client = await connectWithRetry(config) else {
            // Stopped before the broker ever answered: nothing was accepted, nothing to drain.
            await results.flushQuietly()
            return 0
        }
        publisher.bind(MQTTEventPublisher(client: client))
        let events = Task { await self.follow(client.events) }
        await engine.connected(isReconnect: false)
        do { try await engine.start() } catch {
            logger.critical("cannot start: \(error)")
            client.disconnect(sendWill: true)
            return 1
        }
        await waitForStop()
        logger.info("stopping: draining \(engine.queue.depth) queued clips (at most \(config.drainTimeoutS) s)")
        await engine.drain()
        processor.shutdown()
        results.close()
        let deadline = Date().addingTimeInterval(3)
        while client.statistics.outstandingPublishes > 0 && Date() < deadline {
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        client.disconnect()
        events.cancel()
        logger.info("stopped")
        return 0
    }

    /// SIGTERM / SIGINT: start the drain (any thread, idempotent).
    public func requestStop() {
        let continuation: CheckedContinuation<Void, Never>? = lock.withLock {
            stopRequested = true
            defer { stopContinuation = nil }
            return stopContinuation
        }
        continuation?.resume()
    }

    /// SIGHUP: reads the configuration again and applies the live keys. A bad file is logged
    /// and the running configuration stays.
    public func reload() {
        guard let reloadSource else { return }
        do {
            let new = try reloadSource()
            engine.reload(new)
            processor.update(intake: new.intake)
            results.update(store: new.store)
            logger.logLevel = Logger.Level(rawValue: new.logging.level) ?? logger.logLevel
            lock.withLock { configuration = configuration.reloadable(from: new) }
            logger.info("configuration reloaded")
        } catch {
            logger.error("reload refused, keeping the running configuration: \(error)")
        }
    }

    private func waitForStop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let already = lock.withLock { () -> Bool in
                if stopRequested { return true }
                stopContinuation = continuation
                return false
            }
            if already { continuation.resume() }
        }
    }

    /// The first connection. `MQTTClient` reconnects by itself once connected, but a failed
    /// first attempt finishes the client, so a new one is made for each attempt.
    private func connectWithRetry(_ config: DaemonConfiguration) async -> MQTTClient? {
        var attempt = 0
        while !lock.withLock({ stopRequested }) {
            do {
                let settings = try MQTTConfiguration(daemon: config, will: engine.messages.lastWill)
                let client = try MQTTClient(configuration: settings, logger: logger)
                // Intake (journaling with fsync) runs right on the MQTT network thread: the next
                // message is read only once this one is in the spool, so what the daemon has
                // acknowledged is on disk, and a flood waits in the broker, not in our memory.
                let engine = self.engine
                client.handleMessages { message in engine.handle(InboundMessage(message)) }
                for filter in engine.subscriptions { try client.subscribe(filter, qos: 1) }
                lock.withLock { self.client = client }
                logger.info("connecting: \(settings)")
                try await client.connect()
                logger.info("connected to \(config.mqtt.host):\(config.mqtt.port), subscribed to \(engine.subscriptions.joined(separator: ", "))")
                return client
            } catch {
                attempt += 1
                let backoff = MQTTConfiguration.Backoff(initial: config.mqtt.reconnect.initialS, maximum: config.mqtt.reconnect.maxS)
                var delay = backoff.delay(attempt: attempt, random: Double.random(in: 0..<1))
                let broker = "\(config.mqtt.host):\(config.mqtt.port)"
                let wait = { String(format: "%.2f", $0) }
                switch (error as? BrokerError)?.code {
                case .authenticationFailed?:
                    // Credentials do not fix themselves within seconds: retry at the longest
                    // backoff from the start, so a wrong password does not hammer the broker.
                    delay = max(delay, config.mqtt.reconnect.maxS)
                    logger.error("broker \(broker) refused our credentials (\(error)); check mqtt.username and the password; retrying in \(wait(delay)) s")
                case .tls?:
                    logger.error("TLS with broker \(broker) failed (\(error)); check mqtt.tls; retrying in \(wait(delay)) s")
                case .connackRefused?:
                    logger.error("broker \(broker) refused the connection (\(error)); retrying in \(wait(delay)) s")
                default:
                    logger.warning("broker \(broker) not reachable (\(error)); retrying in \(wait(delay)) s")
                }
                // Sleep in slices so SIGTERM is honoured at once.
                let until = Date().addingTimeInterval(delay)
                while Date() < until && !lock.withLock({ stopRequested }) {
                    try? await Task.sleep(nanoseconds: 50_000_000)
                }
            }
        }
        logger.info("stopped before the broker was reached")
        return nil
    }

    private func follow(_ events: AsyncStream<ConnectionEvent>) async {
        var connections = 0
        for await event in events {
            switch event {
            case .connected:
                connections += 1
                // The first CONNACK is handled in run(); later ones are reconnects.
                if connections > 1 {
                    logger.notice("reconnected to the broker")
                    await engine.connected(isReconnect: true)
                }
            case .disconnected(let code, let error):
                if code != 0 { logger.warning("broker connection lost (\(code)): \(error.map { "\($0)" } ?? "")") }
            case .reconnecting(let attempt, let delay):
                logger.debug("reconnect attempt \(attempt) in \(String(format: "%.2f", delay)) s")
            case .connectFailed(let error):
                logger.warning("reconnect failed: \(error)")
            case .publishFailed(let id, let topic, let reason):
                // Typically an ACL on the output topics (reason 135, not authorized): counted so
                // it shows in emotiond/stats and the Prometheus metrics, not only in the log.
                // The result itself is already in the store; the broker would refuse a retry
                // for as long as its ACL stays, so it is not re-sent.
                engine.stats.recordError(device: nil, code: "publish_refused")
                logger.error("broker refused publish \(id) to \(topic) (reason \(reason)); check the broker's ACL for this topic")
            case .subscriptionRejected(let filter, let reason):
                logger.error("broker refused subscription \(filter) (reason \(reason)); check its ACL")
            }
        }
    }
}

extension AggregateResultStore {
    func flushQuietly() async { try? await flush() }
}
