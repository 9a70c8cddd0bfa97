import Foundation
import Fusion
import NN

/// How clips are split into folds.
public enum EvaluationProtocol: String, Codable, Sendable, CaseIterable {
    /// The manifest's `fold` column: every actor in exactly one fold, so the test actors are
    /// never heard in training. The figure that says how the model does on a new speaker.
    case speakerIndependent = "speaker-independent"
    /// Stratified random clip folds (same actors in train and test). Only for comparison with
    /// papers that used such splits; it overstates accuracy on new speakers.
    case random
}

/// Trains one model per fold with the same recipe and scores it on the held-out fold.
public enum CrossValidation {
    public static func run(
        dataset: AudioDataset, recipe: AudioRecipe, protocol proto: EvaluationProtocol, onlyFolds: [Int]? = nil,
        log: @escaping (String) -> Void = { _ in }
    ) throws -> CrossValidationReport {
        let folds = try assignFolds(dataset.entries, protocol: proto, seed: recipe.seed)
        let foldIDs = Set(folds).sorted().filter { onlyFolds?.contains($0) ?? true }
        let trainer = AudioTrainer(recipe: recipe, log: log)
        var results: [FoldResult] = []
        let start = Date()
        for (n, fold) in foldIDs.enumerated() {
            let test = folds.indices.filter { folds[$0] == fold }
            let train = folds.indices.filter { folds[$0] != fold }
            let t0 = Date()
            let net = try trainer.train(on: dataset, clips: train, label: "fold \(fold) (\(n + 1)/\(foldIDs.count))")
            let probs = try trainer.predict(net, on: dataset, clips: test)
            let metrics = ClassificationMetrics(
                truth: test.map { dataset.entries[$0].emotion },
                predicted: probs.map { Emotion(index: argmax($0))! })
            let actors = Set(test.compactMap { dataset.entries[$0].actor }).sorted()
            let result = FoldResult(fold: fold, testActors: actors, trainClips: train.count, summary: MetricsSummary(metrics),
                                    trainSeconds: Date().timeIntervalSince(t0))
            log(String(format: "fold %d: accuracy %.1f %%  macro-F1 %.3f  balanced %.1f %%  (%d test clips, actors %@)",
                       fold, result.summary.accuracy * 100, result.summary.macroF1, result.summary.balancedAccuracy * 100,
                       test.count, actors.map(String.init).joined(separator: ",")))
            results.append(result)
        }
        return CrossValidationReport(protocol: proto, recipe: recipe, folds: results,
                                     totalSeconds: Date().timeIntervalSince(start))
    }

    /// Fold number per clip.
    static func assignFolds(_ entries: [ManifestEntry], protocol proto: EvaluationProtocol, seed: UInt64) throws -> [Int] {
        switch proto {
        case .speakerIndependent:
            let folds = entries.map(\.fold)
            guard folds.allSatisfy({ $0 != nil }) else {
                throw Manifest.Error(description: "speaker-independent evaluation needs a 'fold' column in MANIFEST.csv")
            }
            // Refuse a manifest whose folds would put one actor on both sides.
            var foldOfActor: [Int: Int] = [:]
            for e in entries {
                guard let actor = e.actor else { continue }
                if let f = foldOfActor[actor], f != e.fold! {
                    throw Manifest.Error(description: "actor \(actor) appears in folds \(f) and \(e.fold!): not speaker-independent")
                }
                foldOfActor[actor] = e.fold!
            }
            return folds.map { $0! }
        case .random:
            // Stratified: shuffle each class, deal its clips round-robin over 6 folds.
            var rng = SeededRandom(seed: seed &+ 99)
            var folds = [Int](repeating: 0, count: entries.count)
            for emotion in Emotion.allCases {
                var idx = entries.indices.filter { entries[$0].emotion == emotion }
                rng.shuffle(&idx)
                for (k, i) in idx.enumerated() { folds[i] = k % 6 + 1 }
            }
            return folds
        }
    }
}

/// The figures of one labelled set, in the form reports and `--json` print.
public struct MetricsSummary: Codable, Sendable {
    public var clips: Int
    public var accuracy: Double
    public var macroF1: Double
    public var balancedAccuracy: Double
    /// Recall per class label (absent classes omitted).
    public var perClassRecall: [String: Double]
    /// `confusion[truth][predicted]` in `Emotion` order.
    public var confusion: [[Int]]

    public init(_ m: ClassificationMetrics) {
        clips = m.total
        accuracy = m.accuracy
        macroF1 = m.macroF1
        balancedAccuracy = m.balancedAccuracy
        var recall: [String: Double] = [:]
        for (i, r) in m.recall.enumerated() { if let r { recall[Emotion(index: i)!.rawValue] = r } }
        perClassRecall = recall
        confusion = m.confusion
    }

    public var metrics: ClassificationMetrics { ClassificationMetrics(confusion: confusion) }

    enum CodingKeys: String, CodingKey {
        case clips, accuracy, confusion
        case macroF1 = "macro_f1"
        case balancedAccuracy = "balanced_accuracy"
        case perClassRecall = "per_class_recall"
    }
}

public struct FoldResult: Codable, Sendable {
    public var fold: Int
    public var testActors: [Int]
    public var trainClips: Int
    public var summary: MetricsSummary
    public var trainSeconds: Double

    enum CodingKeys: String, CodingKey {
        case fold, summary
        case testActors = "test_actors"
        case trainClips = "train_clips"
        case trainSeconds = "train_seconds"
    }
}

/// Result of a cross-validation: per fold, the mean over folds (the headline figure) and the
/// pooled confusion matrix.
public struct CrossValidationReport: Codable, Sendable {
    public var `protocol`: EvaluationProtocol
    public var recipe: AudioRecipe
    public var folds: [FoldResult]
    public var totalSeconds: Double

    public var meanAccuracy: Double { mean(folds.map(\.summary.accuracy)) }
    public var meanMacroF1: Double { mean(folds.map(\.summary.macroF1)) }
    public var meanBalancedAccuracy: Double { mean(folds.map(\.summary.balancedAccuracy)) }
    public var stdAccuracy: Double {
        let m = meanAccuracy
        return folds.count < 2 ? 0 : (folds.map { ($0.summary.accuracy - m) * ($0.summary.accuracy - m) }.reduce(0, +) / Double(folds.count - 1)).squareRoot()
    }
    public var pooled: ClassificationMetrics { folds.map(\.summary.metrics).reduce(ClassificationMetrics(), +) }

    private func mean(_ xs: [Double]) -> Double { xs.isEmpty ? 0 : xs.reduce(0, +) / Double(xs.count) }

    /// The JSON printed by `emotiond evaluate audio --json`.
    public var json: String {
        struct Out: Encodable {
            var `protocol`: String, architecture: String, folds: [FoldResult]
            var mean: [String: Double], pooled: MetricsSummary, recipe: AudioRecipe, totalSeconds: Double
            enum CodingKeys: String, CodingKey { case `protocol`, architecture, folds, mean, pooled, recipe; case totalSeconds = "total_seconds" }
        }
        let out = Out(protocol: self.protocol.rawValue, architecture: recipe.architecture.rawValue, folds: folds,
                      mean: ["accuracy": meanAccuracy, "accuracy_std": stdAccuracy, "macro_f1": meanMacroF1,
                             "balanced_accuracy": meanBalancedAccuracy],
                      pooled: MetricsSummary(pooled), recipe: recipe, totalSeconds: totalSeconds)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return String(decoding: (try? encoder.encode(out)) ?? Data(), as: UTF8.self)
    }

    /// A short table for people.
    public var text: String {
        var s = "protocol: \(self.protocol.rawValue), architecture: \(recipe.architecture.rawValue), \(folds.count) folds\n"
        s += "fold  test actors      accuracy  macro-F1  balanced  train s\n"
        for f in folds {
            s += String(format: "%4d  %-15@ %7.1f %%  %8.3f  %6.1f %%  %7.0f\n", f.fold,
                        f.testActors.map(String.init).joined(separator: ",") as NSString,
                        f.summary.accuracy * 100, f.summary.macroF1, f.summary.balancedAccuracy * 100, f.trainSeconds)
        }
        s += String(format: "mean  %-15@ %7.1f %%  %8.3f  %6.1f %%   (accuracy std %.1f)\n", "" as NSString,
                    meanAccuracy * 100, meanMacroF1, meanBalancedAccuracy * 100, stdAccuracy * 100)
        s += ReportText.perClass(pooled)
        return s
    }
}

public enum ReportText {
    /// Per-class recall and the confusion matrix as text.
    public static func perClass(_ m: ClassificationMetrics) -> String {
        var s = "per-class recall: " + Emotion.allCases.map { e in
            m.recall[e.index].map { String(format: "%@ %.0f%%", e.rawValue, $0 * 100) } ?? "\(e.rawValue) -"
        }.joined(separator: ", ") + "\n"
        s += "confusion (rows true, columns predicted):\n"
        s += "           " + Emotion.allCases.map { String($0.rawValue.prefix(5)).padding(toLength: 6, withPad: " ", startingAt: 0) }.joined() + "\n"
        for e in Emotion.allCases {
            s += e.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)
            s += m.confusion[e.index].map { String($0).padding(toLength: 6, withPad: " ", startingAt: 0) }.joined() + "\n"
        }
        return s
    }
}
