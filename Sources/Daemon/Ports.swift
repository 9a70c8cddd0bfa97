import Foundation
import Fusion

// The daemon's ports: what it needs from the Pipeline, Broker and Store modules, stated as
// protocols so the run loop is written (and tested) against them and the wiring in
// `emotiond serve` is a few adapter types:
//
//   Broker (libmosquitto thread) --InboundMessage--> ClipIntake -> Spool -> PairingBuffer
//     -> WorkQueue -> workers: ClipProcessing -> EmotionEvent
//     -> EventPublishing (MessageFactory) + ResultStoring + EpisodeTracker + StatsCollector
//     -> Spool.complete

/// An error with a stable machine-readable code: the `code` of the error event.
/// Media, model and broker errors conform in their modules' adapters.
public protocol CodedError: Error {
    /// snake_case, stable across versions (`decode_failed`, `no_media_streams`, ...).
    var code: String { get }
}

/// Turns one job (a clip, or paired audio/video chunks) into its result: decode, features,
/// models, fusion. Implemented over Pipeline. Called from several workers at once.
///
/// The work is CPU-bound and synchronous: run it on a thread of its own (one per worker, or a
/// DispatchQueue) and resume the caller through a continuation, so the Swift concurrency pool
/// (two threads on two cores) stays free for intake, timers and publishing.
public protocol ClipProcessing: Sendable {
    /// Classifies `job`. Throws (preferably a ``CodedError``) for media it cannot use; the
    /// daemon turns that into an ``ErrorEvent`` and completes the spool entry.
    func process(_ job: ClipJob) async throws -> EmotionEvent
}

/// Sends messages to the broker. Implemented over Broker. Must not block for long: while
/// the broker is away it buffers up to `mqtt.max_queued_messages` and drops the oldest.
public protocol EventPublishing: Sendable {
    /// Queues `message` for sending (QoS and retain as given).
    func publish(_ message: OutboundMessage) async throws
}

/// Persists results and errors into the aggregates. Implemented over Store (one writer,
/// batched by `store.batch_size` / `store.flush_interval_s`).
public protocol ResultStoring: Sendable {
    /// Takes a result for storage. `written` runs once it is durably in the store (possibly
    /// later, on another thread, when results are batched), and never if writing fails: the
    /// engine removes the clip's journal entry only then, so a crash between the two replays
    /// the clip instead of losing its aggregate.
    func record(_ event: EmotionEvent, written: @escaping @Sendable () -> Void) async throws
    func recordError(_ event: ErrorEvent) async throws
    /// Writes what is batched (called on drain and before exit).
    func flush() async throws
}

/// One message as the broker adapter hands it over from the network thread.
public struct InboundMessage: Sendable, Equatable {
    public var topic: String
    public var payload: Data
    /// MQTT v5 user properties (last value wins for repeated names); empty for v3.1.1.
    public var userProperties: [String: String]
    /// MQTT v5 correlation data, if any.
    public var correlationData: Data?
    public var receivedAt: Date

    public init(topic: String, payload: Data, userProperties: [String: String] = [:], correlationData: Data? = nil,
                receivedAt: Date) {
        self.topic = topic
        self.payload = payload
        self.userProperties = userProperties
        self.correlationData = correlationData
        self.receivedAt = receivedAt
    }
}
