import Foundation
import Fusion
import Models
import NN

/// Trains the paper's video head (`VideoHead`) on clip embedding matrices with Adam, printing
/// the same progress lines as `AudioTrainer` (epoch, loss, training accuracy, elapsed, ETA).
///
/// Kept apart from `VideoDataset` so the head can be trained on any matrices (tests use
/// synthetic ones; a user may bring embeddings computed elsewhere with the same settings).
public struct VideoTrainer {
    /// Optimisation settings.
    public struct Recipe: Sendable, Equatable {
        public var epochs: Int
        public var batchSize: Int
        /// Peak learning rate; a cosine schedule takes it down to 5 % by the last step.
        public var learningRate: Float
        /// AdamW decoupled weight decay (matrices only).
        public var weightDecay: Float
        public var seed: UInt64

        /// Defaults that fit small sets quickly without diverging on raw DINOv2 CLS embeddings
        /// (values up to about 8).
        public init(epochs: Int = 40, batchSize: Int = 8, learningRate: Float = 3e-4,
                    weightDecay: Float = 1e-4, seed: UInt64 = 1) {
            self.epochs = epochs
            self.batchSize = batchSize
            self.learningRate = learningRate
            self.weightDecay = weightDecay
            self.seed = seed
        }

        /// Checks the ranges (a typed error instead of a trap deep inside training).
        public func validate() throws {
            guard epochs >= 1, epochs <= 100_000, batchSize >= 1, batchSize <= 4096,
                  learningRate > 0, learningRate.isFinite, weightDecay >= 0, weightDecay.isFinite else {
                throw ModelError(.invalidInput, "recipe out of range: \(self)")
            }
        }

        /// The recipe as JSON, stored in the model file as its `protocol`.
        public var json: String {
            String(format: #"{"optimizer":"adam","schedule":"cosine to 5%%","epochs":%d,"batch_size":%d,"learning_rate":%g,"weight_decay":%g,"seed":%llu}"#,
                   epochs, batchSize, Double(learningRate), Double(weightDecay), seed)
        }
    }

    /// One epoch's figures.
    public struct EpochStats: Sendable, Equatable {
        public var epoch: Int
        /// Mean training loss over the epoch's mini-batches (weighted by batch size).
        public var loss: Float
        /// Fraction of training clips whose argmax (during the epoch) was right.
        public var accuracy: Double
        /// Seconds since training started.
        public var elapsed: Double
    }

    public let recipe: Recipe
    /// Receives one line per epoch.
    public var log: (String) -> Void

    public init(recipe: Recipe = Recipe(), log: @escaping (String) -> Void = { _ in }) {
        self.recipe = recipe
        self.log = log
    }

    /// Trains a fresh head (seeded by the recipe) on `matrices` (each `frames * width` values,
    /// frame-major) with `labels` (`Emotion.index` values). The head's input standardisation is
    /// fitted on `matrices` first.
    ///
    /// - Throws: `ModelError.invalidInput` for an empty set, a recipe out of range, or labels
    ///   not matching the matrices; `FacialModelError.invalidInput` for a matrix of another size
    ///   or with NaN or infinite values.
    public func train(matrices: [[Float]], labels: [Int], geometry: VideoHead.Geometry) throws
        -> (head: VideoHead, history: [EpochStats]) {
        try recipe.validate()
        guard !matrices.isEmpty, matrices.count == labels.count else {
            throw ModelError(.invalidInput, "need one label per clip and at least one clip, got \(matrices.count) clips and \(labels.count) labels")
        }
        let head = try VideoHead(geometry: geometry, seed: recipe.seed)
        try head.fitInputStandardization(matrices)
        let inputs = try head.batch(matrices)  // validated and standardised once
        let rowSize = geometry.valuesPerClip
        let k = VideoHead.classCount
        let optimizer = Adam(learningRate: recipe.learningRate, weightDecay: recipe.weightDecay)
        var rng = SeededRandom(seed: recipe.seed &+ 1)
        var order = Array(matrices.indices)
        let batchesPerEpoch = (matrices.count + recipe.batchSize - 1) / recipe.batchSize
        var history: [EpochStats] = []
        let start = Date()
        for epoch in 1...recipe.epochs {
            rng.shuffle(&order)
            var lossSum: Double = 0, correct = 0
            for b in 0..<batchesPerEpoch {
                let progress = Double((epoch - 1) * batchesPerEpoch + b) / Double(recipe.epochs * batchesPerEpoch)
                optimizer.learningRate = CosineSchedule.learningRate(peak: recipe.learningRate, progress: progress)
                let rows = Array(order[(b * recipe.batchSize)..<min(matrices.count, (b + 1) * recipe.batchSize)])
                var data = [Float](repeating: 0, count: rows.count * rowSize)
                data.withUnsafeMutableBufferPointer { dst in
                    inputs.data.withUnsafeBufferPointer { src in
                        for (i, r) in rows.enumerated() {
                            (dst.baseAddress! + i * rowSize).update(from: src.baseAddress! + r * rowSize, count: rowSize)
                        }
                    }
                }
                let batch = Tensor(shape: [rows.count, 1, geometry.frames, geometry.embeddingWidth], data: data)
                let y = rows.map { labels[$0] }
                let (loss, logits) = try head.trainStep(batch: batch, labels: y, optimizer: optimizer)
                guard loss.isFinite else {
                    throw ModelError(.invalidInput, "training diverged (loss \(loss)) in epoch \(epoch); lower the learning rate")
                }
                lossSum += Double(loss) * Double(rows.count)
                for (row, truth) in y.enumerated() {
                    let scores = logits.data[(row * k)..<((row + 1) * k)]
                    if scores.indices.max(by: { scores[$0] < scores[$1] })! - row * k == truth { correct += 1 }
                }
            }
            let elapsed = Date().timeIntervalSince(start)
            let stats = EpochStats(epoch: epoch, loss: Float(lossSum / Double(matrices.count)),
                                   accuracy: Double(correct) / Double(matrices.count), elapsed: elapsed)
            history.append(stats)
            let eta = elapsed / Double(epoch) * Double(recipe.epochs - epoch)
            log(String(format: "epoch %d/%d  loss %.4f  train acc %.1f %%  %.1f s  ETA %.1f s",
                       epoch, recipe.epochs, stats.loss, 100 * stats.accuracy, elapsed, eta))
        }
        return (head, history)
    }

    /// Trains on every clip of `dataset`.
    public func train(on dataset: VideoDataset) throws -> (head: VideoHead, history: [EpochStats]) {
        try train(matrices: dataset.clips.map(\.matrix), labels: dataset.clips.map(\.entry.emotion.index),
                  geometry: dataset.settings.geometry)
    }
}
