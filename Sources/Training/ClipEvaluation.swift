import Foundation
import Fusion
import Pipeline

/// Scores the whole pipeline (audio, video and fused) on a labelled folder of clips with fixed
/// models: what `emotiond evaluate clips` prints. Each clip is classified once; the audio-only,
/// video-only and fused answers are read from the same event.
public struct ClipEvaluation: Sendable {
    public struct Row: Codable, Sendable {
        public var file: String
        public var truth: Emotion
        public var audio: Emotion?
        public var video: Emotion?
        public var fused: Emotion?
        public var facesFound: Int?
        public var frames: Int?
        public var error: String?

        enum CodingKeys: String, CodingKey {
            case file, truth, audio, video, fused, error, frames
            case facesFound = "faces_found"
        }
    }

    public var rows: [Row]

    public static func run(_ classifier: ClipClassifier, entries: [ManifestEntry]) -> ClipEvaluation {
        ClipEvaluation(rows: entries.map { entry in
            var row = Row(file: entry.file, truth: entry.emotion)
            do {
                let event = try classifier.classify([UInt8](try Data(contentsOf: entry.url)), clipID: entry.file)
                row.audio = event.modalities.audio?.emotion
                row.video = event.modalities.video?.emotion
                row.facesFound = event.modalities.video?.facesFound
                row.frames = event.modalities.video?.frames
                row.fused = event.emotion
            } catch {
                row.error = "\(error)"
            }
            return row
        })
    }

    /// Metrics over the clips where that branch produced an answer.
    public func metrics(_ branch: KeyPath<Row, Emotion?>) -> ClassificationMetrics {
        var m = ClassificationMetrics()
        for row in rows { if let p = row[keyPath: branch] { m.add(truth: row.truth, predicted: p) } }
        return m
    }

    public var text: String {
        var s = "file                          truth      audio      video      fused      faces\n"
        for r in rows {
            func c(_ e: Emotion?) -> String { (e?.rawValue ?? "-").padding(toLength: 11, withPad: " ", startingAt: 0) }
            s += r.file.padding(toLength: 30, withPad: " ", startingAt: 0) + c(r.truth) + c(r.audio) + c(r.video) + c(r.fused)
            s += r.error.map { "error: \($0)" } ?? (r.frames.map { "\(r.facesFound ?? 0)/\($0)" } ?? "-")
            s += "\n"
        }
        for (name, branch) in [("audio", \Row.audio), ("video", \Row.video), ("fused", \Row.fused)] {
            let m = metrics(branch)
            s += String(format: "%@: %d/%d correct (%.1f %%), macro-F1 %.3f over the classes present\n",
                        name, m.correct, m.total, m.accuracy * 100, m.macroF1)
        }
        return s
    }

    public var json: String {
        struct Out: Encodable { var clips: [Row]; var audio: MetricsSummary; var video: MetricsSummary; var fused: MetricsSummary }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let out = Out(clips: rows, audio: MetricsSummary(metrics(\.audio)), video: MetricsSummary(metrics(\.video)),
                      fused: MetricsSummary(metrics(\.fused)))
        return String(decoding: (try? encoder.encode(out)) ?? Data(), as: UTF8.self)
    }
}
