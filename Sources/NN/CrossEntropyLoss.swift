import Foundation

/// Softmax cross-entropy from logits, averaged over the batch.
///
/// Numerically stable (log-sum-exp with the row maximum subtracted). Two cheap options, both
/// for imbalanced or noisy training data:
/// - `classWeights`: item `i` counts with weight `w[label_i]` and the mean divides by the sum of
///   those weights (PyTorch's `weight=` with `reduction="mean"`).
/// - `labelSmoothing` `ε`: the target is `(1 - ε) * onehot + ε / K` (PyTorch's
///   `label_smoothing=`, combined with class weights per item as above).
///
/// The gradient with respect to the logits is `w_i / Σw * (softmax(z_i) - target_i)`.
public struct CrossEntropyLoss: Sendable {
    public var classWeights: [Float]?
    public var labelSmoothing: Float

    public init(classWeights: [Float]? = nil, labelSmoothing: Float = 0) {
        precondition(labelSmoothing >= 0 && labelSmoothing < 1)
        self.classWeights = classWeights
        self.labelSmoothing = labelSmoothing
    }

    /// Mean loss and its gradient with respect to `logits [N, K]` for integer `labels` in `0..<K`.
    public func callAsFunction(logits: Tensor, labels: [Int]) -> (loss: Float, gradient: Tensor) {
        precondition(logits.shape.count == 2 && logits.shape[0] == labels.count,
                     "CrossEntropyLoss expects logits [N, K] and N labels")
        let n = logits.shape[0], k = logits.shape[1]
        if let w = classWeights { precondition(w.count == k, "need one class weight per class") }
        let eps = labelSmoothing
        var grad = [Float](repeating: 0, count: n * k)
        var itemWeights = [Float](repeating: 1, count: n)
        var total: Double = 0, weightSum: Double = 0
        logits.data.withUnsafeBufferPointer { z in
            grad.withUnsafeMutableBufferPointer { g in
                for i in 0..<n {
                    let y = labels[i]
                    precondition((0..<k).contains(y), "label \(y) outside 0..<\(k)")
                    let row = z.baseAddress! + i * k
                    var m = -Float.infinity
                    for j in 0..<k { m = max(m, row[j]) }
                    var sum: Float = 0
                    for j in 0..<k { sum += expf(row[j] - m) }
                    let logSum = m + logf(sum)
                    // -Σ_j target_j * log p_j with log p_j = z_j - logSum.
                    var itemLoss: Float = 0
                    for j in 0..<k {
                        let target = (j == y ? 1 - eps : 0) + eps / Float(k)
                        let logP = row[j] - logSum
                        if target > 0 { itemLoss -= target * logP }
                        g[i * k + j] = expf(logP) - target
                    }
                    let w = classWeights?[y] ?? 1
                    itemWeights[i] = w
                    total += Double(w * itemLoss)
                    weightSum += Double(w)
                }
                let inv = weightSum > 0 ? Float(1 / weightSum) : 0
                for i in 0..<n {
                    let s = itemWeights[i] * inv
                    for j in 0..<k { g[i * k + j] *= s }
                }
            }
        }
        let loss = weightSum > 0 ? Float(total / weightSum) : 0
        return (loss, Tensor(shape: logits.shape, data: grad))
    }
}
