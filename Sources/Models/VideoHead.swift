import Foundation
import Fusion
import NN

/// The paper's best video head ("2D CNN + 3 linear", Srihari & Bhaskaran 2024), trainable with
/// the NN runtime and used as is for inference: one implementation of the forward pass.
///
/// Input: one clip as a `[frames, embeddingWidth]` matrix (one ViT embedding per frame), read
/// as a one-channel image, NCHW `[N, 1, frames, embeddingWidth]`. Layers (`network.layers`):
///
///     0 conv 3x3 valid (1 -> 32)   1 ReLU   2 max pool 2x2
///     3 conv 3x3 valid (32 -> 64)  4 ReLU   5 max pool 2x2
///     6 flatten (channel, row, column)
///     7 linear -> 128   8 ReLU   9 linear 128 -> 64   10 ReLU   11 linear 64 -> 8 (logits)
///
/// The pooling is not named in the paper; it is inferred from its flatten width 48,640, which is
/// exactly what this geometry gives for 22 frames of ViT-B embeddings (768):
/// 22x768 -> 20x766 -> 10x383 -> 8x381 -> 4x190, and 64 x 4 x 190 = 48,640 (`flattenedWidth`).
/// With DINOv2 ViT-S (384) it is 64 x 4 x 94 = 24,064.
///
/// Before the first conv, each embedding column is standardised with `inputMean` / `inputStd`
/// (fitted on the training clips by `fitInputStandardization`, saved in the model file; identity
/// until fitted). Not in the paper, which does not say how its inputs were scaled: raw DINOv2
/// CLS values reach about 8 with strongly non-zero column means, and without this a freshly
/// initialised head starts at a cross-entropy near 19 (measured on RAVDESS clips) instead of
/// ln 8 = 2.1.
///
/// Parameters are named PyTorch style (`conv1.weight` `[32, 1, 3, 3]`, `fc1.weight`
/// `[128, flattened]`...; see `parameterShapes`), which is also how model files store them
/// (`VideoHead+File.swift`).
///
/// Ownership: the layers cache activations for backward, so one instance serves one thread at a
/// time (the same rule as every NN model); parallel workers each load their own instance.
public final class VideoHead {
    /// Input size of the head.
    public struct Geometry: Sendable, Equatable {
        /// Frames per clip (22 in the paper).
        public var frames: Int
        /// Width of one frame's embedding (384 for DINOv2 ViT-S, 768 for ViT-B).
        public var embeddingWidth: Int

        public init(frames: Int = 22, embeddingWidth: Int = DINOv2Encoder.width) {
            self.frames = frames
            self.embeddingWidth = embeddingWidth
        }

        /// Rows and columns after conv 3x3 valid + pool 2 twice.
        var pooledSize: (rows: Int, columns: Int) {
            (((frames - 2) / 2 - 2) / 2, ((embeddingWidth - 2) / 2 - 2) / 2)
        }

        /// Width of the flattened feature vector entering the first linear layer.
        public var flattenedWidth: Int { 64 * pooledSize.rows * pooledSize.columns }

        /// Values per clip (`frames * embeddingWidth`).
        public var valuesPerClip: Int { frames * embeddingWidth }
    }

    /// Number of output classes (`Emotion.count`).
    public static let classCount = Emotion.count

    /// The PyTorch-style parameter names, each with the index of its layer in `network.layers`.
    static let parameterLayers: [(prefix: String, layer: Int)] =
        [("conv1", 0), ("conv2", 3), ("fc1", 7), ("fc2", 9), ("fc3", 11)]

    /// Parameter names and shapes, PyTorch style.
    public static func parameterShapes(_ geometry: Geometry) -> [String: [Int]] {
        ["conv1.weight": [32, 1, 3, 3], "conv1.bias": [32],
         "conv2.weight": [64, 32, 3, 3], "conv2.bias": [64],
         "fc1.weight": [128, geometry.flattenedWidth], "fc1.bias": [128],
         "fc2.weight": [64, 128], "fc2.bias": [64],
         "fc3.weight": [classCount, 64], "fc3.bias": [classCount]]
    }

    /// The input size this head was built for.
    public let geometry: Geometry
    /// The layer stack, logits out (softmax is applied by `predict`, and by the loss in training).
    public let network: Sequential
    /// Per-column mean subtracted from every frame's embedding, `[embeddingWidth]`.
    public let inputMean: Parameter
    /// Per-column scale divided out after the mean, `[embeddingWidth]` (kept >= 1e-6).
    public let inputStd: Parameter

    /// A freshly initialised head (He-normal weights, the output layer's scaled by 0.1; zero
    /// biases), deterministic per seed: the starting point for training.
    ///
    /// - Throws: `FacialModelError.invalidInput` if the geometry is too small for two
    ///   conv+pool stages (fewer than 10 frames or embedding values).
    public init(geometry: Geometry, seed: UInt64) throws {
        guard geometry.frames >= 10, geometry.embeddingWidth >= 10,
              geometry.frames <= 4096, geometry.embeddingWidth <= 65_536 else {
            throw FacialModelError.invalidInput(
                "video head needs 10...4096 frames and 10...65536 embedding values, got \(geometry.frames)x\(geometry.embeddingWidth)")
        }
        self.geometry = geometry
        inputMean = Parameter(name: "mean", value: Tensor(zeros: [geometry.embeddingWidth]))
        inputStd = Parameter(name: "std", value: Tensor(shape: [geometry.embeddingWidth], repeating: 1))
        var rng = SeededRandom(seed: seed)
        network = Sequential([
            Conv2d(inChannels: 1, outChannels: 32, kernelSize: 3, rng: &rng), ReLU(), MaxPool2d(kernelSize: 2),
            Conv2d(inChannels: 32, outChannels: 64, kernelSize: 3, rng: &rng), ReLU(), MaxPool2d(kernelSize: 2),
            Flatten(),
            Linear(inFeatures: geometry.flattenedWidth, outFeatures: 128, rng: &rng), ReLU(),
            Linear(inFeatures: 128, outFeatures: 64, rng: &rng), ReLU(),
            Linear(inFeatures: 64, outFeatures: Self.classCount, rng: &rng),
        ])
        // The output layer starts 10x smaller than He: near-uniform first predictions (loss
        // near ln 8) instead of confident random ones, after two max pools have raised the
        // activations' scale.
        let output = network.layers[11].parameters[0]
        output.value.data = output.value.data.map { $0 * 0.1 }
    }

    /// Builds the head from named parameters (PyTorch names and layouts, see `parameterShapes`),
    /// optionally with `input.mean` and `input.std` (identity standardisation when absent).
    ///
    /// - Throws: `FacialModelError.invalidInput` for a geometry that is too small,
    ///   `.tensorMismatch` for a missing or misshapen parameter.
    public convenience init(geometry: Geometry, parameters: [String: Tensor]) throws {
        try self.init(geometry: geometry, seed: 0)
        for (name, parameter) in namedParameters {
            guard let value = parameters[name], value.shape == parameter.value.shape else {
                throw FacialModelError.tensorMismatch(name: name, expected: parameter.value.shape, found: parameters[name]?.shape)
            }
            parameter.value = value
        }
        for (name, parameter) in [("input.mean", inputMean), ("input.std", inputStd)] {
            guard let value = parameters[name] else { continue }
            guard value.shape == parameter.value.shape else {
                throw FacialModelError.tensorMismatch(name: name, expected: parameter.value.shape, found: value.shape)
            }
            parameter.value = value
        }
    }

    /// Every trainable tensor under its PyTorch-style name, in layer order. The `Parameter`s are
    /// the network's own storage: an optimiser step through `network.parameters` shows here.
    public var namedParameters: [(name: String, parameter: Parameter)] {
        Self.parameterLayers.flatMap { prefix, index in
            network.layers[index].parameters.map { ("\(prefix).\($0.name)", $0) }
        }
    }

    /// Every tensor that makes up the head, under its file name: `namedParameters`, then the
    /// input standardisation (`input.mean`, `input.std`).
    public var namedTensors: [(name: String, parameter: Parameter)] {
        namedParameters + [("input.mean", inputMean), ("input.std", inputStd)]
    }

    /// A snapshot of the current values of `namedTensors` by name.
    public var parameters: [String: Tensor] {
        Dictionary(uniqueKeysWithValues: namedTensors.map { ($0.name, $0.parameter.value) })
    }

    /// Number of trainable scalars (3.1 M for 22 x 384, almost all in `fc1`).
    public var parameterCount: Int { network.parameterCount }

    // MARK: Inference

    /// Eight emotion probabilities (in `Emotion` order) per clip. Each clip is
    /// `frames * embeddingWidth` values, frame-major.
    ///
    /// - Throws: `FacialModelError.invalidInput` for a clip of another size or with NaN or
    ///   infinite values.
    public func predict(clips: [[Float]]) throws -> [[Float]] {
        var out: [[Float]] = []
        out.reserveCapacity(clips.count)
        // Chunks bound the activation memory (about 2 MB per 22 x 384 clip).
        for start in stride(from: 0, to: clips.count, by: 32) {
            let chunk = Array(clips[start..<min(clips.count, start + 32)])
            let probabilities = Softmax.probabilities(logits(try batch(chunk), training: false))
            for row in chunk.indices {
                out.append(Array(probabilities.data[(row * Self.classCount)..<((row + 1) * Self.classCount)]))
            }
        }
        return out
    }

    /// Logits `[N, 8]` for a standardised batch `[N, 1, frames, embeddingWidth]` (see `batch(_:)`);
    /// `training` is passed to the layers (it changes nothing in this head, which has neither
    /// dropout nor batch norm, but it is the NN contract).
    public func logits(_ batch: Tensor, training: Bool) -> Tensor {
        network.forward(batch, training: training)
    }

    /// Checks clips, standardises each embedding column and stacks them into the network's
    /// input `[N, 1, frames, embeddingWidth]`.
    ///
    /// - Throws: `FacialModelError.invalidInput` for a clip of another size or with NaN or
    ///   infinite values.
    public func batch(_ clips: [[Float]]) throws -> Tensor {
        let f = geometry.frames, e = geometry.embeddingWidth
        try check(clips)
        let mean = inputMean.value.data
        let invStd = inputStd.value.data.map { 1 / max($0, 1e-6) }
        var values = [Float](repeating: 0, count: clips.count * f * e)
        values.withUnsafeMutableBufferPointer { out in
            for (c, clip) in clips.enumerated() {
                clip.withUnsafeBufferPointer { x in
                    for row in 0..<f {
                        let base = (c * f + row) * e
                        for col in 0..<e { out[base + col] = (x[row * e + col] - mean[col]) * invStd[col] }
                    }
                }
            }
        }
        return Tensor(shape: [clips.count, 1, f, e], data: values)
    }

    /// Sets `inputMean` / `inputStd` to each embedding column's statistics over every frame of
    /// `clips` (the training set). Call once before training.
    ///
    /// - Throws: `FacialModelError.invalidInput` for no clips, or clips of another size or with
    ///   NaN or infinite values.
    public func fitInputStandardization(_ clips: [[Float]]) throws {
        guard !clips.isEmpty else { throw FacialModelError.invalidInput("standardisation needs at least one clip") }
        try check(clips)
        let e = geometry.embeddingWidth
        var sum = [Double](repeating: 0, count: e), squares = [Double](repeating: 0, count: e)
        for clip in clips {
            for row in 0..<geometry.frames {
                for col in 0..<e {
                    let v = Double(clip[row * e + col])
                    sum[col] += v
                    squares[col] += v * v
                }
            }
        }
        let count = Double(clips.count * geometry.frames)
        let mean = sum.map { $0 / count }
        let std = zip(squares, mean).map { q, mu in max(q / count - mu * mu, 0).squareRoot() }
        inputMean.value = Tensor(shape: [e], data: mean.map(Float.init))
        inputStd.value = Tensor(shape: [e], data: std.map { $0 > 1e-6 ? Float($0) : 1 })
    }

    private func check(_ clips: [[Float]]) throws {
        let f = geometry.frames, e = geometry.embeddingWidth
        for clip in clips {
            guard clip.count == f * e else {
                throw FacialModelError.invalidInput("video head takes \(f)x\(e) = \(f * e) values per clip, got \(clip.count)")
            }
            guard clip.allSatisfy({ $0.isFinite }) else {
                throw FacialModelError.invalidInput("video head input contains NaN or infinite values")
            }
        }
    }

    // MARK: Training

    /// One optimisation step on a standardised mini-batch `[N, 1, frames, embeddingWidth]` (from
    /// `batch(_:)`): forward, loss,
    /// backward, `optimizer.step`. Returns the mean loss and the logits (for training accuracy).
    /// `labels` are `Emotion.index` values.
    ///
    /// - Throws: `FacialModelError.invalidInput` for a batch of another shape or labels outside
    ///   `0..<8` or not one per item.
    @discardableResult
    public func trainStep(batch: Tensor, labels: [Int], optimizer: Adam,
                          loss: CrossEntropyLoss = CrossEntropyLoss()) throws -> (loss: Float, logits: Tensor) {
        guard batch.shape.count == 4, batch.shape[0] > 0,
              Array(batch.shape.dropFirst()) == [1, geometry.frames, geometry.embeddingWidth] else {
            throw FacialModelError.invalidInput(
                "training batch must be [N, 1, \(geometry.frames), \(geometry.embeddingWidth)], got \(batch.shape)")
        }
        guard labels.count == batch.shape[0], labels.allSatisfy({ (0..<Self.classCount).contains($0) }) else {
            throw FacialModelError.invalidInput("need \(batch.shape[0]) labels in 0..<\(Self.classCount), got \(labels)")
        }
        let logits = network.forward(batch, training: true)
        network.zeroGrad()
        let (value, gradient) = loss(logits: logits, labels: labels)
        _ = network.backward(gradient)
        optimizer.step(network.parameters)
        return (value, logits)
    }
}
