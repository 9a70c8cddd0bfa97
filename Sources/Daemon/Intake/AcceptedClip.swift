import Foundation

/// One payload that passed intake (topic, size, device id) and was journaled.
public struct AcceptedClip: Sendable, Equatable {
    public var device: String
    public var kind: ClipKind
    /// From the MQTT v5 `clip-id` user property or correlation data, else generated.
    public var clipID: String
    /// Whether the sender gave ``clipID`` (only then are `/audio` and `/video` paired by id).
    public var clipIDIsExplicit: Bool
    /// From the `captured-at` user property, else the receive time.
    public var capturedAt: Date
    /// When the daemon received it.
    public var receivedAt: Date
    /// The media bytes.
    public var payload: Data
    /// Its journal entry, to complete once the result is out (nil only in tests and `classify`).
    public var spoolEntry: SpoolEntry?

    public init(device: String, kind: ClipKind, clipID: String, clipIDIsExplicit: Bool, capturedAt: Date,
                receivedAt: Date, payload: Data, spoolEntry: SpoolEntry? = nil) {
        self.device = device
        self.kind = kind
        self.clipID = clipID
        self.clipIDIsExplicit = clipIDIsExplicit
        self.capturedAt = capturedAt
        self.receivedAt = receivedAt
        self.payload = payload
        self.spoolEntry = spoolEntry
    }
}

/// The unit of work a worker classifies: a whole `/clip`, or one or two chunks of the same
/// clip (`/audio` and/or `/video`) put together by ``PairingBuffer``.
public struct ClipJob: Sendable, Equatable {
    public var device: String
    public var clipID: String
    public var capturedAt: Date
    /// One part (a clip, or a chunk released alone) or two (audio first, then video).
    public var parts: [AcceptedClip]

    public init(device: String, clipID: String, capturedAt: Date, parts: [AcceptedClip]) {
        self.device = device
        self.clipID = clipID
        self.capturedAt = capturedAt
        self.parts = parts
    }

    /// A job of one part.
    public init(single clip: AcceptedClip) {
        self.init(device: clip.device, clipID: clip.clipID, capturedAt: clip.capturedAt, parts: [clip])
    }

    /// The part of `kind`, if present.
    public func part(_ kind: ClipKind) -> AcceptedClip? { parts.first { $0.kind == kind } }

    /// Journal entries to complete when the job is done.
    public var spoolEntries: [SpoolEntry] { parts.compactMap(\.spoolEntry) }
}
