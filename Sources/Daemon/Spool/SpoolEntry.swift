import Foundation

/// One accepted clip in the spool: its journal file and what the daemon needs to process it
/// again after a crash. The payload itself stays on disk (``Spool/payload(of:)``).
public struct SpoolEntry: Equatable, Sendable {
    /// Acceptance order; also the file name. Strictly increasing within one spool directory.
    public var sequence: UInt64
    /// Absolute path of the journal file.
    public var path: String
    public var metadata: Metadata

    /// What is journaled next to the payload (the file's JSON header).
    public struct Metadata: Codable, Equatable, Sendable {
        public var device: String
        public var kind: ClipKind
        public var clipID: String
        /// True when the sender gave the clip id (MQTT v5 `clip-id` or correlation data);
        /// false when the daemon generated it (MQTT 3.1.1 senders).
        public var clipIDIsExplicit: Bool
        public var capturedAt: Date
        public var acceptedAt: Date
        public var payloadLength: Int

        public init(device: String, kind: ClipKind, clipID: String, clipIDIsExplicit: Bool,
                    capturedAt: Date, acceptedAt: Date, payloadLength: Int) {
            self.device = device
            self.kind = kind
            self.clipID = clipID
            self.clipIDIsExplicit = clipIDIsExplicit
            self.capturedAt = capturedAt
            self.acceptedAt = acceptedAt
            self.payloadLength = payloadLength
        }

        enum CodingKeys: String, CodingKey {
            case device, kind
            case clipID = "clip_id"
            case clipIDIsExplicit = "clip_id_explicit"
            case capturedAt = "captured_at"
            case acceptedAt = "accepted_at"
            case payloadLength = "payload_length"
        }
    }

    public var device: String { metadata.device }
    public var kind: ClipKind { metadata.kind }
    public var clipID: String { metadata.clipID }
}
