import Foundation
import Fusion

/// The first step for every incoming message (DESIGN section 3): topic -> device id, size
/// limit, clip id and capture time from MQTT v5 properties (or generated), journal to the
/// spool. Only what passes is acknowledged as accepted; everything else is an
/// ``IntakeRejection`` with a code.
///
/// Thread safety: immutable apart from the spool (itself thread-safe) and the limits, which
/// the owner replaces on reload; call from the broker thread.
public struct ClipIntake: Sendable {
    public var router: TopicRouter
    /// `intake.*` (live-reloadable).
    public var limits: DaemonConfiguration.Intake
    public let spool: Spool?
    private let clock: any DaemonClock
    private let makeID: @Sendable () -> String

    /// Longest accepted clip id.
    public static let maxClipIDLength = 128

    public init(router: TopicRouter, limits: DaemonConfiguration.Intake, spool: Spool?,
                clock: any DaemonClock = SystemClock(),
                makeID: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() }) {
        self.router = router
        self.limits = limits
        self.spool = spool
        self.clock = clock
        self.makeID = makeID
    }

    /// Checks and journals `message`.
    public func accept(_ message: InboundMessage) -> Result<AcceptedClip, IntakeRejection> {
        let topic: InboundTopic, clipID: String, explicit: Bool
        switch identify(message) {
        case .success(let identity): (topic, clipID, explicit) = identity
        case .failure(let rejection): return .failure(rejection)
        }
        let device = topic.device

        guard !message.payload.isEmpty else {
            return .failure(IntakeRejection(device: device, clipID: clipID, code: "empty_payload", message: "payload is empty"))
        }
        guard message.payload.count <= limits.maxPayloadBytes else {
            return .failure(IntakeRejection(
                device: device, clipID: clipID, code: "payload_too_large",
                message: "payload is \(message.payload.count) bytes, intake.max_payload_bytes is \(limits.maxPayloadBytes)"))
        }

        var capturedAt = message.receivedAt
        if let text = message.userProperties["captured-at"] {
            guard let date = RFC3339.date(from: text) else {
                return .failure(IntakeRejection(device: device, clipID: clipID, code: "bad_captured_at",
                                                message: "captured-at is not RFC 3339: \(text.prefix(64))"))
            }
            capturedAt = date
        }

        var clip = AcceptedClip(device: device, kind: topic.kind, clipID: clipID, clipIDIsExplicit: explicit,
                                capturedAt: capturedAt, receivedAt: message.receivedAt, payload: message.payload)
        if let spool {
            do {
                clip.spoolEntry = try spool.accept(device: device, kind: topic.kind, clipID: clipID,
                                                   clipIDIsExplicit: explicit, payload: message.payload,
                                                   capturedAt: capturedAt)
            } catch let error as SpoolError {
                return .failure(IntakeRejection(device: device, clipID: clipID, code: error.code, message: error.description))
            } catch {
                return .failure(IntakeRejection(device: device, clipID: clipID, code: "spool_io", message: "\(error)"))
            }
        }
        return .success(clip)
    }

    /// Device (from the topic) and clip id: user property `clip-id`, then correlation data,
    /// else generated (`explicit` false).
    private func identify(_ message: InboundMessage) -> Result<(topic: InboundTopic, clipID: String, explicit: Bool), IntakeRejection> {
        let topic: InboundTopic
        do {
            topic = try router.parseInput(message.topic)
        } catch let error as TopicError {
            // No usable device: the offending text is in the message, JSON-escaped.
            return .failure(IntakeRejection(device: nil, clipID: nil, code: error.code, message: error.description))
        } catch {
            return .failure(IntakeRejection(device: nil, clipID: nil, code: "bad_topic", message: "\(error)"))
        }
        if let given = message.userProperties["clip-id"] ?? message.correlationData.map(Self.text(ofCorrelationData:)) {
            guard Self.isAcceptableClipID(given) else {
                return .failure(IntakeRejection(
                    device: topic.device, clipID: nil, code: "bad_clip_id",
                    message: "clip id must be 1...\(Self.maxClipIDLength) printable ASCII characters"))
            }
            return .success((topic, given, true))
        }
        return .success((topic, makeID(), false))
    }

    /// Rebuilds accepted clips from spool entries after a restart (payloads read back).
    public func replay(_ entry: SpoolEntry) throws -> AcceptedClip {
        guard let spool else { throw SpoolError.io(operation: "replay", path: entry.path, errno: ENOENT) }
        // The journal is ours, but a damaged or planted file must not steer output topics.
        try router.validateDeviceID(entry.device)
        guard Self.isAcceptableClipID(entry.clipID) else {
            throw SpoolError.corrupt(path: entry.path, reason: "bad clip id")
        }
        let payload = try spool.payload(of: entry)
        return AcceptedClip(device: entry.device, kind: entry.kind, clipID: entry.clipID,
                            clipIDIsExplicit: entry.metadata.clipIDIsExplicit, capturedAt: entry.metadata.capturedAt,
                            receivedAt: entry.metadata.acceptedAt, payload: payload, spoolEntry: entry)
    }

    static func isAcceptableClipID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= maxClipIDLength && id.utf8.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
    }

    /// Correlation data as text when it is printable ASCII, else lowercase hex.
    static func text(ofCorrelationData data: Data) -> String {
        if !data.isEmpty, data.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) { return String(decoding: data, as: UTF8.self) }
        return data.prefix(64).map { String(format: "%02x", $0) }.joined()
    }
}
