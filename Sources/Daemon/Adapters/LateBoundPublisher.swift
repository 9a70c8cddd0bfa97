import Broker
import Foundation

/// The engine is built before the broker client exists (the client needs the engine's last
/// will and subscriptions); this forwards to the real publisher once bound.
final class LateBoundPublisher: EventPublishing, @unchecked Sendable {
    private let lock = NSLock()
    private var target: (any EventPublishing)?

    func bind(_ publisher: any EventPublishing) { lock.withLock { target = publisher } }

    func publish(_ message: OutboundMessage) async throws {
        guard let target = lock.withLock({ target }) else {
            throw BrokerError(code: .notConnected, rawValue: 0, message: "not connected yet")
        }
        try await target.publish(message)
    }
}
