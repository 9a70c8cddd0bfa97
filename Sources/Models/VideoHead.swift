import Foundation
import NN

/// The paper's best video head ("2D CNN + 3 linear", Srihari & Bhaskaran 2024), inference only.
///
/// Input: one clip as a `[frames, embeddingWidth]` matrix (one ViT embedding per frame), read
/// as a one-channel image. Layers:
///
///     conv 3x3 valid (32) -> ReLU -> max pool 2x2
///     conv 3x3 valid (64) -> ReLU -> max pool 2x2
///     flatten (channel, row, column) -> linear 128 -> ReLU -> linear 64 -> ReLU -> linear 8 -> softmax
///
/// The pooling is not named in the paper; it is inferred from its flatten width 48,640, which is
/// exactly what this geometry gives for 22 frames of ViT-B embeddings (768):
/// 22x768 -> 20x766 -> 10x383 -> 8x381 -> 4x190, and 64 x 4 x 190 = 48,640 (`flattenedWidth`).
/// With DINOv2 ViT-S (384) it is 64 x 4 x 94 = 24,064.
///
/// Parameters use PyTorch layouts and names (conv `[out, in, 3, 3]`, linear `[out, in]`), the
/// layouts of the NN training runtime, which will train it; they are rearranged once at init for
/// the NHWC inference kernels. Immutable after init.
public struct VideoHead: Sendable {
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
    }

    /// Parameter names and shapes, PyTorch style.
    public static func parameterShapes(_ geometry: Geometry) -> [String: [Int]] {
        ["conv1.weight": [32, 1, 3, 3], "conv1.bias": [32],
         "conv2.weight": [64, 32, 3, 3], "conv2.bias": [64],
         "fc1.weight": [128, geometry.flattenedWidth], "fc1.bias": [128],
         "fc2.weight": [64, 128], "fc2.bias": [64],
         "fc3.weight": [8, 64], "fc3.bias": [8]]
    }

    /// The input size this head was built for.
    public let geometry: Geometry
    /// The parameters as given (PyTorch layouts).
    public let parameters: [String: Tensor]
    private let conv1HWIO: [Float], conv2HWIO: [Float]

    /// Builds the head from named parameters.
    ///
    /// - Throws: `FacialModelError.invalidInput` if the geometry is too small for two
    ///   conv+pool stages, `.tensorMismatch` for a missing or misshapen parameter.
    public init(geometry: Geometry, parameters: [String: Tensor]) throws {
        guard geometry.frames >= 10, geometry.embeddingWidth >= 10 else {
            throw FacialModelError.invalidInput("video head needs at least 10 frames and 10 embedding values, got \(geometry.frames)x\(geometry.embeddingWidth)")
        }
        for (name, shape) in Self.parameterShapes(geometry) where parameters[name]?.shape != shape {
            throw FacialModelError.tensorMismatch(name: name, expected: shape, found: parameters[name]?.shape)
        }
        self.geometry = geometry
        self.parameters = parameters
        conv1HWIO = Self.hwio(parameters["conv1.weight"]!)
        conv2HWIO = Self.hwio(parameters["conv2.weight"]!)
    }

    /// A freshly initialised head (He-uniform weights, zero biases), deterministic per seed:
    /// the starting point for training.
    public init(geometry: Geometry, seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        var parameters: [String: Tensor] = [:]
        for (name, shape) in Self.parameterShapes(geometry) {
            let count = shape.reduce(1, *)
            if name.hasSuffix(".bias") {
                parameters[name] = Tensor(zeros: shape)
            } else {
                let fanIn = shape.dropFirst().reduce(1, *)
                let bound = Float((6.0 / Double(fanIn)).squareRoot())
                // 24 random bits -> uniform in [-bound, bound).
                let step = 2 * bound / Float(1 << 24)
                var values = [Float](repeating: 0, count: count)
                for i in 0..<count { values[i] = Float(generator.next() >> 40) * step - bound }
                parameters[name] = Tensor(shape: shape, data: values)
            }
        }
        try self.init(geometry: geometry, parameters: parameters)
    }

    /// Eight emotion probabilities (in `Emotion` order) per clip. Each clip is
    /// `frames * embeddingWidth` values, frame-major.
    public func predict(clips: [[Float]]) throws -> [[Float]] {
        let f = geometry.frames, e = geometry.embeddingWidth
        for clip in clips where clip.count != f * e {
            throw FacialModelError.invalidInput("video head takes \(f)x\(e) = \(f * e) values per clip, got \(clip.count)")
        }
        guard !clips.isEmpty else { return [] }
        let batch = clips.count
        let input = clips.flatMap { $0 }
        let conv = InferenceKernels.Window2D(kernelHeight: 3, kernelWidth: 3)
        let pool = InferenceKernels.Window2D(kernelHeight: 2, kernelWidth: 2, strideY: 2, strideX: 2)

        let stage1 = convReluPool(input, batch: batch, height: f, width: e, inChannels: 1, kernel: conv1HWIO,
                                  bias: parameters["conv1.bias"]!.data, outChannels: 32, conv: conv, pool: pool)
        let stage2 = convReluPool(stage1.values, batch: batch, height: stage1.height, width: stage1.width, inChannels: 32,
                                  kernel: conv2HWIO, bias: parameters["conv2.bias"]!.data, outChannels: 64, conv: conv, pool: pool)
        // Flatten in PyTorch's (channel, row, column) order.
        let (rows, columns) = (stage2.height, stage2.width)
        let width = 64 * rows * columns
        var flat = [Float](repeating: 0, count: batch * width)
        for b in 0..<batch {
            for y in 0..<rows {
                for x in 0..<columns {
                    let src = ((b * rows + y) * columns + x) * 64
                    for c in 0..<64 { flat[b * width + (c * rows + y) * columns + x] = stage2.values[src + c] }
                }
            }
        }
        var hidden = linear(flat, batch: batch, "fc1", relu: true)
        hidden = linear(hidden, batch: batch, "fc2", relu: true)
        var logits = linear(hidden, batch: batch, "fc3", relu: false)
        logits.withUnsafeMutableBufferPointer { InferenceKernels.softmaxRows($0.baseAddress!, rows: batch, columns: 8) }
        return (0..<batch).map { Array(logits[$0 * 8..<($0 + 1) * 8]) }
    }

    private func convReluPool(_ x: [Float], batch: Int, height: Int, width: Int, inChannels: Int, kernel: [Float],
                              bias: [Float], outChannels: Int, conv: InferenceKernels.Window2D,
                              pool: InferenceKernels.Window2D) -> (values: [Float], height: Int, width: Int) {
        let ch = conv.outputHeight(height), cw = conv.outputWidth(width)
        var convolved = [Float](repeating: 0, count: batch * ch * cw * outChannels)
        x.withUnsafeBufferPointer { xp in kernel.withUnsafeBufferPointer { kp in bias.withUnsafeBufferPointer { bp in
            convolved.withUnsafeMutableBufferPointer { op in
                InferenceKernels.conv2dNHWC(input: xp.baseAddress!, batch: batch, height: height, width: width,
                                            inChannels: inChannels, kernel: kp.baseAddress!, bias: bp.baseAddress!,
                                            outChannels: outChannels, window: conv, output: op.baseAddress!)
                InferenceKernels.relu(op.baseAddress!, count: op.count)
            }
        } } }
        let ph = pool.outputHeight(ch), pw = pool.outputWidth(cw)
        var pooled = [Float](repeating: 0, count: batch * ph * pw * outChannels)
        convolved.withUnsafeBufferPointer { cp in pooled.withUnsafeMutableBufferPointer { pp in
            InferenceKernels.maxPool2dNHWC(input: cp.baseAddress!, batch: batch, height: ch, width: cw,
                                           channels: outChannels, window: pool, output: pp.baseAddress!)
        } }
        return (pooled, ph, pw)
    }

    private func linear(_ x: [Float], batch: Int, _ name: String, relu: Bool) -> [Float] {
        let weight = parameters[name + ".weight"]!, bias = parameters[name + ".bias"]!.data
        let outputs = weight.shape[0], inputs = weight.shape[1]
        var out = [Float](repeating: 0, count: batch * outputs)
        x.withUnsafeBufferPointer { xp in weight.data.withUnsafeBufferPointer { wp in bias.withUnsafeBufferPointer { bp in
            out.withUnsafeMutableBufferPointer { op in
                InferenceKernels.broadcastRows(bp.baseAddress!, rows: batch, columns: outputs, into: op.baseAddress!)
                InferenceKernels.gemm(transposeB: true, m: batch, n: outputs, k: inputs, a: xp.baseAddress!, lda: inputs,
                                      b: wp.baseAddress!, ldb: inputs, beta: 1, c: op.baseAddress!, ldc: outputs)
                if relu { InferenceKernels.relu(op.baseAddress!, count: op.count) }
            }
        } } }
        return out
    }

    /// OIHW -> HWIO.
    private static func hwio(_ w: Tensor) -> [Float] {
        let (o, i, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        var out = [Float](repeating: 0, count: w.count)
        for a in 0..<o { for b in 0..<i { for y in 0..<kh { for x in 0..<kw {
            out[((y * kw + x) * i + b) * o + a] = w.data[((a * i + b) * kh + y) * kw + x]
        } } } }
        return out
    }
}

/// SplitMix64: a small deterministic generator for reproducible initialisation.
private struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
