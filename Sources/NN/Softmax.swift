import Foundation

/// Softmax over the last axis of `[N, K]` (or any shape: rows are the last axis).
///
/// Numerically stable: the row maximum is subtracted before `exp`. Backward uses
/// `dx = y * (dy - sum(dy * y))` per row. For training, prefer `CrossEntropyLoss` on logits.
public final class Softmax: Layer {
    private var cachedOutput: Tensor?

    public init() {}

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let out = Softmax.probabilities(input)
        cachedOutput = out
        return out
    }

    public func backward(_ outputGrad: Tensor) -> Tensor {
        guard let y = cachedOutput else { preconditionFailure("Softmax.backward called before forward") }
        precondition(outputGrad.shape == y.shape)
        let k = y.shape.last ?? 1, rows = y.count / max(k, 1)
        var dx = [Float](repeating: 0, count: y.count)
        for r in 0..<rows {
            var dot: Float = 0
            for j in 0..<k { dot += outputGrad.data[r * k + j] * y.data[r * k + j] }
            for j in 0..<k { dx[r * k + j] = y.data[r * k + j] * (outputGrad.data[r * k + j] - dot) }
        }
        return Tensor(shape: y.shape, data: dx)
    }

    /// Row-wise softmax of `logits` (last axis).
    public static func probabilities(_ logits: Tensor) -> Tensor {
        let k = logits.shape.last ?? 1, rows = logits.count / max(k, 1)
        var out = logits.data
        out.withUnsafeMutableBufferPointer { y in
            for r in 0..<rows {
                let row = y.baseAddress! + r * k
                var m = -Float.infinity
                for j in 0..<k { m = max(m, row[j]) }
                var sum: Float = 0
                for j in 0..<k { let e = expf(row[j] - m); row[j] = e; sum += e }
                let inv = 1 / sum
                for j in 0..<k { row[j] *= inv }
            }
        }
        return Tensor(shape: logits.shape, data: out)
    }
}
