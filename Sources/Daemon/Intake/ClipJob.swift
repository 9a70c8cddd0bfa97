import Foundation

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
