import Fusion

/// Scores of a classifier on a labelled set: what `emotiond evaluate` prints and
/// docs/EVALUATION.md reports.
///
/// Built from a confusion matrix so that folds can be merged by adding matrices, and every
/// figure is derived from the same counts. Classes absent from the set (no true examples) are
/// left out of macro-F1 and balanced accuracy rather than counted as zero, because a test folder
/// may lack some classes (for example the few RAVDESS video clips we have).
public struct ClassificationMetrics: Codable, Sendable, Equatable {
    /// `confusion[truth][predicted]` counts, in `Emotion` order.
    public var confusion: [[Int]]

    public init(confusion: [[Int]] = Array(repeating: Array(repeating: 0, count: Emotion.count), count: Emotion.count)) {
        self.confusion = confusion
    }

    public init(truth: [Emotion], predicted: [Emotion]) {
        precondition(truth.count == predicted.count)
        self.init()
        for (t, p) in zip(truth, predicted) { confusion[t.index][p.index] += 1 }
    }

    public mutating func add(truth: Emotion, predicted: Emotion) { confusion[truth.index][predicted.index] += 1 }

    /// Sum of two sets of counts (pooling folds).
    public static func + (a: ClassificationMetrics, b: ClassificationMetrics) -> ClassificationMetrics {
        var out = a
        for i in 0..<Emotion.count { for j in 0..<Emotion.count { out.confusion[i][j] += b.confusion[i][j] } }
        return out
    }

    public var total: Int { confusion.joined().reduce(0, +) }
    public var correct: Int { (0..<Emotion.count).reduce(0) { $0 + confusion[$1][$1] } }
    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }

    /// Support (true examples) per class.
    public var support: [Int] { confusion.map { $0.reduce(0, +) } }

    /// Recall per class; nil where the class has no true examples.
    public var recall: [Double?] {
        (0..<Emotion.count).map { c in support[c] == 0 ? nil : Double(confusion[c][c]) / Double(support[c]) }
    }

    /// Precision per class; 0 where the class was never predicted.
    public var precision: [Double] {
        (0..<Emotion.count).map { c in
            let predicted = (0..<Emotion.count).reduce(0) { $0 + confusion[$1][c] }
            return predicted == 0 ? 0 : Double(confusion[c][c]) / Double(predicted)
        }
    }

    /// F1 per class; nil where the class has no true examples.
    public var f1: [Double?] {
        let p = precision
        return recall.enumerated().map { c, r in
            guard let r else { return nil }
            return p[c] + r == 0 ? 0 : 2 * p[c] * r / (p[c] + r)
        }
    }

    /// Unweighted mean of F1 over the classes present in the set.
    public var macroF1: Double { mean(f1.compactMap { $0 }) }

    /// Unweighted mean of recall over the classes present in the set.
    public var balancedAccuracy: Double { mean(recall.compactMap { $0 }) }

    private func mean(_ xs: [Double]) -> Double { xs.isEmpty ? 0 : xs.reduce(0, +) / Double(xs.count) }
}
