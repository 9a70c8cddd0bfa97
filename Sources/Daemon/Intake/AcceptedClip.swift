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
