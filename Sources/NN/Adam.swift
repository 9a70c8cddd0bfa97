import Foundation

/// Adam optimiser with optional decoupled weight decay (AdamW).
///
/// `step(_:)` reads each parameter's accumulated `grad`, updates `value` in place and leaves
/// the gradient untouched (call `zeroGrad` on the model before the next backward). Moment
/// estimates are kept per parameter object, so the same optimiser must be used with the same
/// parameters for a whole run. Weight decay is applied AdamW style (`w -= lr * wd * w`),
/// skipped for 1-D tensors (biases and BatchNorm scales), which is the usual practice.
public final class Adam {
    public var learningRate: Float
    public let beta1: Float, beta2: Float, epsilon: Float
    public var weightDecay: Float
    /// Number of steps taken (for bias correction).
    public private(set) var stepCount = 0

    private var firstMoments: [ObjectIdentifier: [Float]] = [:]
    private var secondMoments: [ObjectIdentifier: [Float]] = [:]

    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2
        self.epsilon = epsilon; self.weightDecay = weightDecay
    }

    /// One update of every parameter from its current gradient.
    public func step(_ parameters: [Parameter]) {
        stepCount += 1
        let t = Float(stepCount)
        let correction1 = 1 - powf(beta1, t), correction2 = 1 - powf(beta2, t)
        let stepSize = learningRate / correction1
        let b1 = beta1, b2 = beta2, eps = epsilon
        for p in parameters {
            let id = ObjectIdentifier(p)
            var m = firstMoments[id] ?? [Float](repeating: 0, count: p.value.count)
            var v = secondMoments[id] ?? [Float](repeating: 0, count: p.value.count)
            let decay = p.value.shape.count > 1 ? learningRate * weightDecay : 0
            let invSqrtCorrection2 = 1 / correction2.squareRoot()
            p.value.data.withUnsafeMutableBufferPointer { w in
                p.grad.data.withUnsafeBufferPointer { g in
                    m.withUnsafeMutableBufferPointer { m in
                        v.withUnsafeMutableBufferPointer { v in
                            for i in 0..<w.count {
                                let gi = g[i]
                                m[i] = b1 * m[i] + (1 - b1) * gi
                                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                                let denom = v[i].squareRoot() * invSqrtCorrection2 + eps
                                w[i] -= stepSize * m[i] / denom + decay * w[i]
                            }
                        }
                    }
                }
            }
            firstMoments[id] = m
            secondMoments[id] = v
        }
    }
}
