import Foundation
import Logging

/// An MQTT client over libmosquitto: MQTT v5 (or 3.1.1), persistent sessions, TLS, last will,
/// automatic reconnect with capped backoff, and bounded outgoing buffers.
///
/// Threads: libmosquitto's work happens on one dedicated network thread per client. It hands
/// results to Swift through one boundary, two single-consumer streams:
/// - `messages` yields every PUBLISH received (already acknowledged by libmosquitto for QoS 1,
///   so consume promptly and persist what must not be lost; or see `handleMessages(_:)`),
/// - `events` yields connection changes, reconnect attempts and broker rejections.
///
/// `publish`, `subscribe` and `disconnect` are safe to call from any thread or task.
///
/// ```swift
/// let client = try MQTTClient(configuration: .init(host: "broker", clientID: "emotiond-1"))
/// try client.subscribe("emotiond/in/+/clip", qos: 1)   // kept across reconnects
/// try await client.connect()
/// for await message in client.messages { ... }
/// try client.publish(topic: "emotiond/dev1/emotion", payload: json, qos: 1)
/// client.disconnect()
/// ```
public final class MQTTClient: @unchecked Sendable {
    /// The settings this client was created with.
    public let configuration: MQTTConfiguration
    /// Received messages, in arrival order. Single consumer; finishes when the client is gone.
    public let messages: AsyncStream<IncomingMessage>
    /// Connection events, in order. Single consumer; finishes when the client is gone.
    public let events: AsyncStream<ConnectionEvent>

    private let session: MosquittoSession

    /// Creates the client and applies the configuration (credentials, TLS files, will).
    /// Nothing touches the network until `connect()`.
    ///
    /// - Throws: `BrokerError` for an unusable configuration (unreadable TLS file, bad will).
    public init(configuration: MQTTConfiguration, logger: Logger = Logger(label: "emotiond.mqtt")) throws {
        self.configuration = configuration
        let (messages, messageContinuation) = AsyncStream<IncomingMessage>.makeStream(
            bufferingPolicy: configuration.incomingBufferLimit.map { .bufferingOldest(max(1, $0)) } ?? .unbounded)
        let (events, eventContinuation) = AsyncStream<ConnectionEvent>.makeStream(bufferingPolicy: .bufferingNewest(1024))
        self.messages = messages
        self.events = events
        self.session = try MosquittoSession(
            configuration: configuration, logger: logger, messages: messageContinuation, events: eventContinuation)
    }

    deinit {
        session.requestStop(sendWill: false)
    }

    /// Connects for the first time and returns after the broker accepted (CONNACK success).
    /// Afterwards the client reconnects by itself after any loss, with the configured backoff.
    ///
    /// - Throws: `BrokerError` with code `.connectionRefused` (nothing listening),
    ///   `.authenticationFailed` (CONNACK 0x86/0x87, `rawValue` is the reason code), `.tls`
    ///   (handshake or certificate failure), `.lookup`, `.connackRefused` or `.timeout`.
    ///   After a failure the client is finished; create a new one to retry.
    public func connect() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            session.start(continuation)
        }
    }

    /// Hands every received message to `handler` on the network thread, as it arrives, instead
    /// of to `messages`. Call before `connect()`.
    ///
    /// Why: libmosquitto reads the next packet only after the handler returns, so a handler
    /// that persists the message before returning leaves at most that one message acknowledged
    /// and not yet persisted; everything behind it stays unacknowledged in the broker (which
    /// re-sends it to a persistent session after a crash). Through the stream, every message
    /// received is acknowledged while it waits in memory. (Some libmosquitto versions send the
    /// QoS 1 PUBACK just before calling the handler, others just after; with the former that one
    /// message is the only gap.)
    /// The handler blocks the network thread, so keep it to the persisting: keepalives and
    /// outgoing messages wait while it runs.
    public func handleMessages(_ handler: @escaping @Sendable (IncomingMessage) -> Void) {
        session.setMessageHandler(handler)
    }

    /// Subscribes now if connected, and in any case after every reconnect that did not keep
    /// the session. May be called before `connect()`.
    public func subscribe(_ filter: String, qos: Int = 1) throws {
        try session.subscribe(filter, qos: qos)
    }

    /// Queues a PUBLISH and returns its message id (the id in `.publishFailed` events).
    ///
    /// QoS 1/2 messages published while offline wait in libmosquitto's queue and go out on
    /// reconnect, up to `maxQueuedMessages` unacknowledged ones; QoS 0 needs a connection.
    /// `properties` apply under MQTT v5 only.
    ///
    /// - Throws: `BrokerError` `.queueFull`, `.notConnected` (QoS 0 offline, or after
    ///   `disconnect()`), `.invalidArgument` (topic, QoS, payload size).
    @discardableResult
    public func publish(
        topic: String, payload: [UInt8], qos: Int = 1, retain: Bool = false, properties: PublishProperties = .none
    ) throws -> Int {
        try session.publish(topic: topic, payload: payload, qos: qos, retain: retain, properties: properties)
    }

    /// Sends DISCONNECT and stops the network thread (waits up to 3 s for it). With
    /// `sendWill` (MQTT v5 reason 0x04) the broker still publishes the last will, otherwise a
    /// clean disconnect suppresses it. The client cannot be reconnected afterwards.
    public func disconnect(sendWill: Bool = false) {
        session.stop(sendWill: sendWill, timeout: 3)
    }

    /// True between a successful CONNACK and the next connection loss.
    public var isConnected: Bool { session.isConnected }

    /// Counters: reconnects, publish failures, outstanding publishes, received and dropped.
    public var statistics: MQTTStatistics { session.statistics }

    /// Test hook: closes the socket without DISCONNECT (as a crash would); the broker then
    /// publishes the will and the client reconnects.
    func dropConnectionWithoutDisconnect() { session.dropConnectionWithoutDisconnect() }
}
