import Foundation
import Fusion
import NN

/// The audio emotion classifier: a 1-D CNN over a clip's feature matrix `[F, T]` (F features per
/// frame as channels, T frames), giving eight probabilities in `Emotion` order.
///
/// Pipeline inside the model, the same for training and inference:
/// 1. standardise each feature row with the stored `featureMean` / `featureStd` (fitted on the
///    training set with `fitFeatureStandardization`, saved in the model file),
/// 2. fit the time axis to `configuration.inputFrames`: centre crop, or centre pad with zeros
///    (the training mean after standardisation),
/// 3. run the `Architecture`'s layer stack; softmax for `predict`.
///
/// Ownership: layers cache activations for backward, so one instance serves one thread at a
/// time. Parallel workers each load their own instance (see `ModelFile`).
public final class AudioEmotionNet {
    /// Shape-determining settings.
    public let configuration: Configuration
    /// The layer stack (logits out).
    public let network: Sequential
    /// Per-feature mean subtracted before the network, `[F]`.
    public let featureMean: Parameter
    /// Per-feature scale divided out before the network, `[F]` (kept >= 1e-6).
    public let featureStd: Parameter
    /// Provenance when the model was loaded from (or saved to) a file.
    public internal(set) var metadata: AudioModelMetadata?

    /// Number of output classes (`Emotion.count`).
    public static let classCount = Emotion.count

    /// A freshly initialised network (He weights from `seed`, identity standardisation).
    public init(configuration: Configuration, seed: UInt64 = 0) throws {
        try configuration.validate()
        self.configuration = configuration
        self.network = AudioEmotionNet.makeNetwork(configuration, classCount: Self.classCount, seed: seed)
        self.featureMean = Parameter(name: "mean", value: Tensor(zeros: [configuration.featureCount]))
        self.featureStd = Parameter(name: "std", value: Tensor(shape: [configuration.featureCount], repeating: 1))
    }

    /// Trainable parameters, for an optimiser.
    public var parameters: [Parameter] { network.parameters }

    /// Every tensor that makes up the model, under its file name: `features.mean`,
    /// `features.std`, then `layers.<index>.<name>` for the layer stack.
    public var namedTensors: [(name: String, parameter: Parameter)] {
        [("features.mean", featureMean), ("features.std", featureStd)]
            + network.namedTensors.map { ("layers.\($0.name)", $0.parameter) }
    }

    // MARK: Inference

    /// Softmax probabilities (8 per item, `Emotion` order) for features `[N, F, T]` or a single
    /// clip `[F, T]`, in evaluation mode. Any T is accepted (fitted to `inputFrames`).
    public func predict(features: Tensor) throws -> [[Float]] {
        let logits = try self.logits(features: features, training: false)
        let probs = Softmax.probabilities(logits)
        let k = Self.classCount
        return (0..<logits.shape[0]).map { Array(probs.data[($0 * k)..<(($0 + 1) * k)]) }
    }

    /// Logits `[N, 8]` for features `[N, F, T]` or `[F, T]` after time fitting and
    /// standardisation; `training` enables BatchNorm batch statistics and Dropout.
    public func logits(features: Tensor, training: Bool) throws -> Tensor {
        let x = try prepare(features)
        return network.forward(x, training: training)
    }

    /// Checks shape and values, fits the time axis and standardises: the network's input.
    public func prepare(_ features: Tensor) throws -> Tensor {
        var batch = features
        if features.shape.count == 2 { batch = features.reshaped([1] + features.shape) }
        guard batch.shape.count == 3, batch.shape[0] > 0 else {
            throw ModelError(.invalidInput, "audio features must be [N, F, T] or [F, T], got \(features.shape)")
        }
        guard batch.shape[1] == configuration.featureCount else {
            throw ModelError(.invalidInput,
                             "audio features have \(batch.shape[1]) rows per frame, the model expects \(configuration.featureCount)")
        }
        guard batch.shape[2] > 0 else { throw ModelError(.invalidInput, "audio features have no frames") }
        guard batch.data.allSatisfy({ $0.isFinite }) else {
            throw ModelError(.invalidInput, "audio features contain NaN or infinite values")
        }
        standardize(&batch)
        return Self.fitTimeAxis(batch, frames: configuration.inputFrames)
    }

    /// Centre-crops or centre-pads (with zeros) the last axis of `[N, F, T]` to `frames`
    /// (the same rule as the Audio module's `FeatureMatrix.fixedLength`, so fitting twice is
    /// harmless).
    public static func fitTimeAxis(_ features: Tensor, frames: Int) -> Tensor {
        let n = features.shape[0], f = features.shape[1], t = features.shape[2]
        if t == frames { return features }
        var out = Tensor(zeros: [n, f, frames])
        let copy = min(t, frames)
        let sourceStart = t > frames ? (t - frames) / 2 : 0
        let targetStart = frames > t ? (frames - t) / 2 : 0
        features.data.withUnsafeBufferPointer { src in
            out.data.withUnsafeMutableBufferPointer { dst in
                for row in 0..<(n * f) {
                    (dst.baseAddress! + row * frames + targetStart)
                        .update(from: src.baseAddress! + row * t + sourceStart, count: copy)
                }
            }
        }
        return out
    }

    /// `(x - mean) / std` per feature row, in place (before time fitting, so that padded
    /// frames are 0: the training mean).
    private func standardize(_ x: inout Tensor) {
        let n = x.shape[0], f = x.shape[1], t = x.shape[2]
        let mean = featureMean.value.data
        let invStd = featureStd.value.data.map { 1 / max($0, 1e-6) }
        x.data.withUnsafeMutableBufferPointer { d in
            for ni in 0..<n {
                for fi in 0..<f {
                    let row = d.baseAddress! + (ni * f + fi) * t
                    let m = mean[fi], s = invStd[fi]
                    for ti in 0..<t { row[ti] = (row[ti] - m) * s }
                }
            }
        }
    }

    // MARK: Training

    /// Sets `featureMean` / `featureStd` to the per-feature statistics of `features [N, F, T]`
    /// (over items and the frames kept by time fitting). Call once on the training set, before
    /// training. Non-finite inputs are rejected.
    public func fitFeatureStandardization(_ features: Tensor) throws {
        guard features.shape.count == 3, features.shape[1] == configuration.featureCount,
              features.count > 0, features.data.allSatisfy({ $0.isFinite }) else {
            throw ModelError(.invalidInput, "standardisation needs [N, \(configuration.featureCount), T], got \(features.shape)")
        }
        // Statistics over the frames the network will see (the centre crop), never padding.
        let n = features.shape[0], f = features.shape[1], t = features.shape[2]
        let used = min(t, configuration.inputFrames), start = (t - used) / 2
        var mean = [Float](repeating: 0, count: f), std = [Float](repeating: 1, count: f)
        for fi in 0..<f {
            var sum: Double = 0, sq: Double = 0
            for ni in 0..<n {
                let base = (ni * f + fi) * t + start
                for ti in 0..<used { let v = Double(features.data[base + ti]); sum += v; sq += v * v }
            }
            let count = Double(n * used)
            let mu = sum / count
            mean[fi] = Float(mu)
            std[fi] = Float(max(sq / count - mu * mu, 0).squareRoot())
            if !(std[fi] > 1e-6) { std[fi] = 1 }
        }
        featureMean.value = Tensor(shape: [f], data: mean)
        featureStd.value = Tensor(shape: [f], data: std)
    }

    /// One optimisation step on a mini-batch: forward in training mode, loss, backward,
    /// `optimizer.step`. Returns the batch's mean loss. `labels` are `Emotion.index` values.
    @discardableResult
    public func trainStep(features: Tensor, labels: [Int], optimizer: Adam,
                          loss: CrossEntropyLoss = CrossEntropyLoss()) throws -> Float {
        let logits = try self.logits(features: features, training: true)
        guard labels.count == logits.shape[0], labels.allSatisfy({ (0..<Self.classCount).contains($0) }) else {
            throw ModelError(.invalidInput, "need \(logits.shape[0]) labels in 0..<\(Self.classCount)")
        }
        network.zeroGrad()
        let (value, grad) = loss(logits: logits, labels: labels)
        _ = network.backward(grad)
        optimizer.step(network.parameters)
        return value
    }
}
