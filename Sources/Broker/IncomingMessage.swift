/// One message received from the broker, copied out of libmosquitto's buffers so it can
/// cross threads freely.
public struct IncomingMessage: Sendable, Equatable {
    public var topic: String
    public var payload: [UInt8]
    public var qos: Int
    public var retain: Bool
    /// MQTT v5 user properties (the last value wins when a name repeats). Empty for v3.1.1.
    public var userProperties: [String: String]
    /// MQTT v5 correlation data, if the sender set it.
    public var correlationData: [UInt8]?
    /// MQTT v5 content type, if the sender set it.
    public var contentType: String?

    public init(
        topic: String, payload: [UInt8], qos: Int = 0, retain: Bool = false,
        userProperties: [String: String] = [:], correlationData: [UInt8]? = nil, contentType: String? = nil
    ) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.userProperties = userProperties
        self.correlationData = correlationData
        self.contentType = contentType
    }
}

/// MQTT v5 properties to attach to an outgoing PUBLISH. Ignored (silently) under v3.1.1,
/// which has no properties.
public struct PublishProperties: Sendable, Equatable {
    /// User properties, sent in key order so the wire form is deterministic.
    public var userProperties: [String: String]
    public var correlationData: [UInt8]?
    public var contentType: String?
    /// Message Expiry Interval in seconds.
    public var messageExpiry: UInt32?

    public init(
        userProperties: [String: String] = [:], correlationData: [UInt8]? = nil,
        contentType: String? = nil, messageExpiry: UInt32? = nil
    ) {
        self.userProperties = userProperties
        self.correlationData = correlationData
        self.contentType = contentType
        self.messageExpiry = messageExpiry
    }

    public static let none = PublishProperties()
}
