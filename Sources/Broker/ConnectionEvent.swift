/// What happened to the connection, in order, as seen by libmosquitto's network thread.
public enum ConnectionEvent: Sendable, Equatable {
    /// CONNACK accepted. `sessionPresent` is true when the broker kept the previous session
    /// (subscriptions and queued QoS 1 messages survive).
    case connected(sessionPresent: Bool)
    /// The connection ended. `reasonCode` is 0 after our own `disconnect()`, otherwise a
    /// libmosquitto `MOSQ_ERR_*` value (e.g. 7 connection lost) or the v5 DISCONNECT reason
    /// code the broker sent; `error` explains it.
    case disconnected(reasonCode: Int, error: BrokerError?)
    /// A reconnect attempt is scheduled after `delay` seconds (`attempt` counts from 1).
    case reconnecting(attempt: Int, delay: Double)
    /// A reconnect attempt failed; another follows after the backoff delay.
    case connectFailed(BrokerError)
    /// The broker answered a QoS 1/2 PUBLISH to `topic` with a failure reason code (v5 only),
    /// e.g. 0x87 not authorized when an ACL denies the topic.
    case publishFailed(messageID: Int, topic: String, reasonCode: Int)
    /// The broker refused a subscription (SUBACK reason code >= 0x80).
    case subscriptionRejected(filter: String, reasonCode: Int)
}

/// Counters for the `emotiond/stats` message and metrics. A snapshot; values only grow
/// except `outstandingPublishes`.
public struct MQTTStatistics: Sendable, Equatable {
    /// Successful connects after the first one.
    public var reconnects: Int = 0
    /// PUBLISHes the broker answered with a failure reason code.
    public var publishFailures: Int = 0
    /// QoS > 0 messages published and not yet acknowledged (includes the offline queue).
    public var outstandingPublishes: Int = 0
    /// Messages delivered into `messages`.
    public var messagesReceived: Int = 0
    /// Messages dropped because `incomingBufferLimit` was reached.
    public var messagesDropped: Int = 0

    public init() {}
}
