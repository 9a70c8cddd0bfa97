import Audio
import Foundation
import Fusion
import Models
import NN

/// Trains one audio model from a recipe on a subset of a dataset's clips, and scores a model on
/// another subset. Cross-validation and `emotiond train audio` both go through here, so the
/// shipped model is trained exactly as the evaluated ones.
public struct AudioTrainer {
    public let recipe: AudioRecipe
    /// Receives one line per epoch (and other progress).
    public var log: (String) -> Void

    public init(recipe: AudioRecipe, log: @escaping (String) -> Void = { _ in }) {
        self.recipe = recipe
        self.log = log
    }

    /// Trains on `clips` (indices into `dataset.entries`, every variant of each clip).
    /// `label` prefixes progress lines (e.g. "fold 3/6").
    public func train(on dataset: AudioDataset, clips: [Int], label: String = "") throws -> AudioEmotionNet {
        let net = try AudioEmotionNet(configuration: recipe.networkConfiguration, seed: recipe.seed)
        let items = clips.flatMap { c in dataset.variants[c].indices.map { (clip: c, variant: $0) } }
        try fitStandardization(net, dataset: dataset, items: items)
        let (inputs, rowSize) = try prepared(net, dataset: dataset, items: items)
        let labels = items.map { dataset.entries[$0.clip].emotion.index }

        let optimizer = Adam(learningRate: recipe.learningRate, weightDecay: recipe.weightDecay)
        let loss = CrossEntropyLoss(labelSmoothing: recipe.labelSmoothing)
        var rng = SeededRandom(seed: recipe.seed &+ 1)
        var order = Array(items.indices)
        let batchesPerEpoch = (items.count + recipe.batchSize - 1) / recipe.batchSize
        let start = Date()
        for epoch in 1...recipe.epochs {
            rng.shuffle(&order)
            var lossSum: Double = 0, correct = 0
            for b in 0..<batchesPerEpoch {
                let step = Double((epoch - 1) * batchesPerEpoch + b) / Double(recipe.epochs * batchesPerEpoch)
                optimizer.learningRate = CosineSchedule.learningRate(peak: recipe.learningRate, progress: step)
                let idx = Array(order[(b * recipe.batchSize)..<min(items.count, (b + 1) * recipe.batchSize)])
                let x = gather(inputs, rowSize: rowSize, rows: idx, featureCount: net.configuration.featureCount)
                let y = idx.map { labels[$0] }
                let logits = net.network.forward(x, training: true)
                net.network.zeroGrad()
                let (value, grad) = loss(logits: logits, labels: y)
                _ = net.network.backward(grad)
                optimizer.step(net.network.parameters)
                lossSum += Double(value) * Double(idx.count)
                for (row, truth) in y.enumerated() where argmax(Array(logits.data[(row * 8)..<(row * 8 + 8)])) == truth {
                    correct += 1
                }
            }
            let elapsed = Date().timeIntervalSince(start)
            let eta = elapsed / Double(epoch) * Double(recipe.epochs - epoch)
            log(String(format: "%@epoch %d/%d  loss %.4f  train acc %.1f %%  %.0f s  ETA %.0f s",
                       label.isEmpty ? "" : label + "  ", epoch, recipe.epochs, lossSum / Double(items.count),
                       100 * Double(correct) / Double(items.count), elapsed, eta))
        }
        return net
    }

    /// Probabilities of the original (unaugmented) recording of each clip.
    public func predict(_ net: AudioEmotionNet, on dataset: AudioDataset, clips: [Int]) throws -> [[Float]] {
        var out: [[Float]] = []
        for chunk in stride(from: 0, to: clips.count, by: 64) {
            let part = clips[chunk..<min(clips.count, chunk + 64)].map { (clip: $0, variant: 0) }
            let (inputs, rowSize) = try prepared(net, dataset: dataset, items: part)
            let x = gather(inputs, rowSize: rowSize, rows: Array(part.indices), featureCount: net.configuration.featureCount)
            let probs = Softmax.probabilities(net.network.forward(x, training: false))
            for row in part.indices { out.append(Array(probs.data[(row * 8)..<(row * 8 + 8)])) }
        }
        return out
    }

    /// Per-feature mean and standard deviation over the frames the network sees (centre crop).
    private func fitStandardization(_ net: AudioEmotionNet, dataset: AudioDataset, items: [(clip: Int, variant: Int)]) throws {
        let f = net.configuration.featureCount, frames = net.configuration.inputFrames
        var sum = [Double](repeating: 0, count: f), sq = [Double](repeating: 0, count: f)
        var count = 0
        for item in items {
            let m = dataset.variants[item.clip][item.variant]
            guard m.featureCount == f else {
                throw ModelError(.invalidInput, "features have \(m.featureCount) rows, the recipe needs \(f)")
            }
            let used = min(m.frameCount, frames), start = (m.frameCount - used) / 2
            m.values.withUnsafeBufferPointer { v in
                for r in 0..<f {
                    var s: Double = 0, q: Double = 0
                    for t in start..<(start + used) { let x = Double(v[r * m.frameCount + t]); s += x; q += x * x }
                    sum[r] += s; sq[r] += q
                }
            }
            count += used
        }
        let mean = sum.map { $0 / Double(count) }
        let std = zip(sq, mean).map { q, mu in max(q / Double(count) - mu * mu, 0).squareRoot() }
        net.featureMean.value = Tensor(shape: [f], data: mean.map(Float.init))
        net.featureStd.value = Tensor(shape: [f], data: std.map { $0 > 1e-6 ? Float($0) : 1 })
    }

    /// Standardised, time-fitted network inputs, one row of `F * inputFrames` values per item.
    private func prepared(_ net: AudioEmotionNet, dataset: AudioDataset, items: [(clip: Int, variant: Int)]) throws -> ([Float], Int) {
        let rowSize = net.configuration.featureCount * net.configuration.inputFrames
        var out = [Float](repeating: 0, count: items.count * rowSize)
        for (i, item) in items.enumerated() {
            let m = dataset.variants[item.clip][item.variant]
            let x = try net.prepare(Tensor(shape: [m.featureCount, m.frameCount], data: m.values))
            out.replaceSubrange((i * rowSize)..<((i + 1) * rowSize), with: x.data)
        }
        return (out, rowSize)
    }

    private func gather(_ inputs: [Float], rowSize: Int, rows: [Int], featureCount: Int) -> Tensor {
        var data = [Float](repeating: 0, count: rows.count * rowSize)
        data.withUnsafeMutableBufferPointer { dst in
            inputs.withUnsafeBufferPointer { src in
                for (i, r) in rows.enumerated() {
                    (dst.baseAddress! + i * rowSize).update(from: src.baseAddress! + r * rowSize, count: rowSize)
                }
            }
        }
        return Tensor(shape: [rows.count, featureCount, rowSize / featureCount], data: data)
    }
}
