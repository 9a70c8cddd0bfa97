import Broker
import Foundation

extension MQTTConfiguration {
    /// The client settings for a daemon configuration: persistent session under the stable
    /// client id, credentials, TLS, backoff, bounded outgoing queue and `will` (the engine's
    /// `available` = offline, retained).
    ///
    /// - Throws: ``ConfigError`` for an unreadable `mqtt.password_file`.
    public init(daemon c: DaemonConfiguration, will: OutboundMessage) throws {
        self.init(
            host: c.mqtt.host, port: c.mqtt.port, clientID: c.mqtt.effectiveClientID, keepalive: c.mqtt.keepaliveS,
            protocolVersion: c.mqtt.protocolVersion == .v5 ? .v5 : .v311,
            cleanSession: false, username: c.mqtt.username, password: try c.mqtt.resolvedPassword(),
            tls: c.mqtt.tls.caFile.map { MQTTConfiguration.TLS(caFile: $0, certFile: c.mqtt.tls.certFile, keyFile: c.mqtt.tls.keyFile) },
            will: MQTTConfiguration.Will(topic: will.topic, payload: [UInt8](will.payload), qos: will.qos, retain: will.retain),
            backoff: MQTTConfiguration.Backoff(initial: c.mqtt.reconnect.initialS, maximum: c.mqtt.reconnect.maxS),
            maxQueuedMessages: c.mqtt.maxQueuedMessages)
    }
}
