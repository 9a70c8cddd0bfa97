import Foundation

/// Puts `/audio` and `/video` chunks of one clip together (DESIGN section 4).
///
/// Chunks pair when they come from the same device and either carry the same explicit clip
/// id, or both lack one (MQTT 3.1.1 senders) and arrive within the window: the oldest waiting
/// chunk of the other kind is taken. A chunk whose partner has not come within `windowS`
/// seconds is released alone by ``expire()``; the daemon calls it when ``nextDeadline`` passes.
/// Whole `/clip` payloads pass straight through.
///
/// Not thread-safe: owned by the intake path (one serial context).
public struct PairingBuffer {
    /// How long a chunk waits for its partner; 0 releases every chunk at once. Live-reloadable.
    public var windowS: TimeInterval
    private let clock: any DaemonClock
    private var waiting: [Waiting] = []

    private struct Waiting {
        let clip: AcceptedClip
        let deadline: Date
    }

    public init(windowS: TimeInterval, clock: any DaemonClock = SystemClock()) {
        self.windowS = windowS
        self.clock = clock
    }

    /// Offers an accepted payload; returns the jobs that are ready now (usually zero or one).
    public mutating func offer(_ clip: AcceptedClip) -> [ClipJob] {
        guard clip.kind != .clip else { return [ClipJob(single: clip)] }
        var ready = expire()
        if let index = waiting.firstIndex(where: { Self.pairs($0.clip, clip) }) {
            let partner = waiting.remove(at: index).clip
            ready.append(Self.job(partner, clip))
            return ready
        }
        if clip.clipIDIsExplicit,
           let duplicate = waiting.firstIndex(where: {
               $0.clip.device == clip.device && $0.clip.kind == clip.kind && $0.clip.clipIDIsExplicit && $0.clip.clipID == clip.clipID
           }) {
            // A second chunk of the same kind and id: the first cannot pair any more, let it go.
            ready.append(ClipJob(single: waiting.remove(at: duplicate).clip))
        }
        if windowS <= 0 {
            ready.append(ClipJob(single: clip))
        } else {
            waiting.append(Waiting(clip: clip, deadline: clock.now + windowS))
        }
        return ready
    }

    /// Releases, alone and in arrival order, every chunk whose window has closed.
    public mutating func expire() -> [ClipJob] {
        let now = clock.now
        let (late, kept) = (waiting.filter { $0.deadline <= now }, waiting.filter { $0.deadline > now })
        waiting = kept
        return late.map { ClipJob(single: $0.clip) }
    }

    /// Releases everything (shutdown).
    public mutating func flush() -> [ClipJob] {
        defer { waiting.removeAll() }
        return waiting.map { ClipJob(single: $0.clip) }
    }

    /// When the earliest waiting chunk must be released, nil when none waits.
    public var nextDeadline: Date? { waiting.map(\.deadline).min() }

    /// Chunks waiting for a partner.
    public var count: Int { waiting.count }

    private static func pairs(_ a: AcceptedClip, _ b: AcceptedClip) -> Bool {
        guard a.device == b.device, a.kind != b.kind, a.kind != .clip, b.kind != .clip else { return false }
        switch (a.clipIDIsExplicit, b.clipIDIsExplicit) {
        case (true, true): return a.clipID == b.clipID
        case (false, false): return true
        default: return false
        }
    }

    private static func job(_ first: AcceptedClip, _ second: AcceptedClip) -> ClipJob {
        let (audio, video) = first.kind == .audio ? (first, second) : (second, first)
        // Explicit ids are equal; otherwise the earlier chunk's generated id names the clip.
        return ClipJob(device: first.device, clipID: first.clipID, capturedAt: min(audio.capturedAt, video.capturedAt),
                       parts: [audio, video])
    }
}
