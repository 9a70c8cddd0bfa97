import Foundation
import Fusion

/// Per-device sliding window of results: the dominant emotion for `/state` and the episode
/// events for `/events` (DESIGN section 4).
///
/// - `/state`: over the clips of the last `state.window_s` seconds, the emotion with the
///   largest summed confidence, and its share.
/// - Episodes use only clips with confidence >= `episode_min_confidence`. The candidate is
///   the emotion with the most such clips in the window (ties: larger summed confidence);
///   it counts once it has `episode_min_clips`. `new` when a device without an episode gets a
///   candidate, `update` when the candidate differs from the episode's emotion, `end` when no
///   qualifying clip came for `episode_timeout_s` (checked by ``tick()``).
///
/// Times are the daemon's clock at recording (not `captured_at`, which replays may make old).
/// Not thread-safe: owned by the result path (one serial context).
public struct EpisodeTracker {
    /// Window and episode rules; live-reloadable.
    public var settings: DaemonConfiguration.State
    private let clock: any DaemonClock
    private var devices: [String: Device] = [:]

    private struct Sample {
        let at: Date
        let emotion: Emotion
        let confidence: Float
    }

    private struct Device {
        var samples: [Sample] = []
        var episode: Episode?
    }

    /// What recording a result changed.
    public struct Update: Equatable, Sendable {
        /// The new `/state` body.
        public var state: DeviceStateSnapshot
        /// Episode events to publish, in order.
        public var events: [EpisodeEvent]
    }

    public init(settings: DaemonConfiguration.State, clock: any DaemonClock = SystemClock()) {
        self.settings = settings
        self.clock = clock
    }

    /// Records one clip's result.
    public mutating func record(_ event: EmotionEvent) -> Update {
        record(device: event.device, emotion: event.emotion, confidence: event.confidence)
    }

    /// Records one result for `device`.
    public mutating func record(device: String, emotion: Emotion, confidence: Float) -> Update {
        let now = clock.now
        var state = devices[device] ?? Device()
        state.samples.append(Sample(at: now, emotion: emotion, confidence: confidence))
        prune(&state, now: now)
        var events: [EpisodeEvent] = []
        let qualifying = Double(confidence) >= settings.episodeMinConfidence

        if var episode = state.episode, qualifying {
            episode.clips += 1
            episode.lastClipAt = now
            if emotion == episode.emotion { episode.peakConfidence = max(episode.peakConfidence, confidence) }
            state.episode = episode
        }
        if let candidate = candidate(in: state.samples) {
            if let episode = state.episode {
                if candidate.emotion != episode.emotion {
                    var after = episode
                    after.emotion = candidate.emotion
                    after.peakConfidence = candidate.peak
                    state.episode = after
                    events.append(EpisodeEvent(type: .update, before: episode, after: after))
                }
            } else {
                let episode = Episode(
                    id: "\(device)-\(Int64((now.timeIntervalSince1970 * 1000).rounded()))", device: device,
                    emotion: candidate.emotion, startedAt: now, lastClipAt: now, endedAt: nil,
                    clips: candidate.count, peakConfidence: candidate.peak)
                state.episode = episode
                events.append(EpisodeEvent(type: .new, before: nil, after: episode))
            }
        }
        devices[device] = state
        return Update(state: snapshot(device, state, now: now), events: events)
    }

    /// Ends episodes that timed out and forgets idle devices' old samples. Call periodically
    /// (e.g. every second). Returns an update (with the `end` event) per ended episode.
    public mutating func tick() -> [Update] {
        let now = clock.now
        var updates: [Update] = []
        for device in devices.keys.sorted() {
            var state = devices[device]!
            prune(&state, now: now)
            if let episode = state.episode, now.timeIntervalSince(episode.lastClipAt) >= settings.episodeTimeoutS {
                var after = episode
                after.endedAt = now
                state.episode = nil
                updates.append(Update(state: snapshot(device, state, now: now),
                                      events: [EpisodeEvent(type: .end, before: episode, after: after)]))
            }
            if state.samples.isEmpty && state.episode == nil {
                devices[device] = nil
            } else {
                devices[device] = state
            }
        }
        return updates
    }

    /// The current `/state` of `device` (empty window if unknown).
    public func state(of device: String) -> DeviceStateSnapshot {
        var state = devices[device] ?? Device()
        let now = clock.now
        prune(&state, now: now)
        return snapshot(device, state, now: now)
    }

    /// The running episode of `device`, if any.
    public func episode(of device: String) -> Episode? { devices[device]?.episode }

    // MARK: Helpers

    private func prune(_ state: inout Device, now: Date) {
        let cutoff = now - settings.windowS
        state.samples.removeAll { $0.at <= cutoff }
    }

    private func candidate(in samples: [Sample]) -> (emotion: Emotion, count: Int, peak: Float)? {
        var count = [Int](repeating: 0, count: Emotion.count)
        var sum = [Float](repeating: 0, count: Emotion.count)
        var peak = [Float](repeating: 0, count: Emotion.count)
        for s in samples where Double(s.confidence) >= settings.episodeMinConfidence {
            count[s.emotion.index] += 1
            sum[s.emotion.index] += s.confidence
            peak[s.emotion.index] = max(peak[s.emotion.index], s.confidence)
        }
        var best: Int?
        for i in 0..<Emotion.count where count[i] > 0 {
            if let b = best, count[b] > count[i] || (count[b] == count[i] && sum[b] >= sum[i]) { continue }
            best = i
        }
        guard let best, count[best] >= settings.episodeMinClips else { return nil }
        return (Emotion(index: best)!, count[best], peak[best])
    }

    private func snapshot(_ device: String, _ state: Device, now: Date) -> DeviceStateSnapshot {
        var sum = [Float](repeating: 0, count: Emotion.count)
        var counts: [String: Int] = [:]
        for s in state.samples {
            sum[s.emotion.index] += s.confidence
            counts[s.emotion.rawValue, default: 0] += 1
        }
        let total = sum.reduce(0, +)
        let dominant = state.samples.isEmpty ? nil : Emotion(index: argmax(sum))
        return DeviceStateSnapshot(
            device: device, emotion: dominant, confidence: dominant.map { total > 0 ? sum[$0.index] / total : 0 } ?? 0,
            clips: state.samples.count, counts: counts, windowS: settings.windowS,
            episodeID: state.episode?.id, updatedAt: now)
    }
}
