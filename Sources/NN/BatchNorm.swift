/// Batch normalisation over axis 1 of `[N, C]`, `[N, C, L]` or `[N, C, H, W]`, PyTorch semantics.
///
/// One type serves BatchNorm1d and BatchNorm2d: statistics are per channel `c` over every other
/// axis (`M = N * L` or `N * H * W` values). Training mode normalises with the batch's mean and
/// biased variance and updates the running statistics with `momentum` (running variance uses
/// the unbiased estimate, as PyTorch does); evaluation mode uses the running statistics.
///
/// Parameters `weight` (gamma) and `bias` (beta), buffers `running_mean`, `running_var`, all `[C]`.
public final class BatchNorm: Layer {
    public let channels: Int
    public let epsilon: Float
    public let momentum: Float
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Parameter
    public let runningVar: Parameter

    private var cachedShape: [Int] = []
    private var cachedNormalized: [Float] = []   // x-hat, same layout as the input
    private var cachedInvStd: [Float] = []        // per channel
    private var cachedTraining = false

    public init(channels: Int, epsilon: Float = 1e-5, momentum: Float = 0.1) {
        precondition(channels > 0)
        self.channels = channels; self.epsilon = epsilon; self.momentum = momentum
        weight = Parameter(name: "weight", value: Tensor(shape: [channels], repeating: 1))
        bias = Parameter(name: "bias", value: Tensor(zeros: [channels]))
        runningMean = Parameter(name: "running_mean", value: Tensor(zeros: [channels]))
        runningVar = Parameter(name: "running_var", value: Tensor(shape: [channels], repeating: 1))
    }

    public var parameters: [Parameter] { [weight, bias] }
    public var buffers: [Parameter] { [runningMean, runningVar] }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(input.shape.count >= 2 && input.shape[1] == channels,
                     "BatchNorm expects [N, \(channels), ...], got \(input.shape)")
        let n = input.shape[0], c = channels
        let s = input.shape.dropFirst(2).reduce(1, *)
        let m = n * s
        var mean = [Float](repeating: 0, count: c)
        var invStd = [Float](repeating: 0, count: c)
        if training {
            var variance = [Float](repeating: 0, count: c)
            input.data.withUnsafeBufferPointer { x in
                for ci in 0..<c {
                    var sum: Double = 0
                    for ni in 0..<n {
                        let base = x.baseAddress! + (ni * c + ci) * s
                        var part: Float = 0
                        for si in 0..<s { part += base[si] }
                        sum += Double(part)
                    }
                    let mu = Float(sum / Double(m))
                    var sq: Double = 0
                    for ni in 0..<n {
                        let base = x.baseAddress! + (ni * c + ci) * s
                        var part: Float = 0
                        for si in 0..<s { let d = base[si] - mu; part += d * d }
                        sq += Double(part)
                    }
                    mean[ci] = mu
                    variance[ci] = Float(sq / Double(m))
                }
            }
            // A single value per channel has no spread: normalise to beta, keep running_var's
            // update finite (PyTorch refuses this case; a trainer's last batch of one should not crash).
            let unbias = m > 1 ? Float(m) / Float(m - 1) : 1
            for ci in 0..<c {
                invStd[ci] = 1 / (variance[ci] + epsilon).squareRoot()
                runningMean.value.data[ci] = (1 - momentum) * runningMean.value.data[ci] + momentum * mean[ci]
                runningVar.value.data[ci] = (1 - momentum) * runningVar.value.data[ci] + momentum * variance[ci] * unbias
            }
        } else {
            for ci in 0..<c {
                mean[ci] = runningMean.value.data[ci]
                invStd[ci] = 1 / (runningVar.value.data[ci] + epsilon).squareRoot()
            }
        }
        var xhat = [Float](repeating: 0, count: input.count)
        var out = [Float](repeating: 0, count: input.count)
        input.data.withUnsafeBufferPointer { x in
            xhat.withUnsafeMutableBufferPointer { xh in
                out.withUnsafeMutableBufferPointer { y in
                    for ni in 0..<n {
                        for ci in 0..<c {
                            let off = (ni * c + ci) * s
                            let mu = mean[ci], inv = invStd[ci]
                            let g = weight.value.data[ci], b = bias.value.data[ci]
                            for si in 0..<s {
                                let v = (x[off + si] - mu) * inv
                                xh[off + si] = v
                                y[off + si] = g * v + b
                            }
                        }
                    }
                }
            }
        }
        cachedShape = input.shape
        cachedNormalized = xhat
        cachedInvStd = invStd
        cachedTraining = training
        return Tensor(shape: input.shape, data: out)
    }

    public func backward(_ outputGrad: Tensor) -> Tensor {
        precondition(outputGrad.shape == cachedShape, "BatchNorm grad shape \(outputGrad.shape) != \(cachedShape)")
        let n = cachedShape[0], c = channels
        let s = cachedShape.dropFirst(2).reduce(1, *)
        let m = Float(n * s)
        var dx = [Float](repeating: 0, count: outputGrad.count)
        outputGrad.data.withUnsafeBufferPointer { dy in
            cachedNormalized.withUnsafeBufferPointer { xh in
                dx.withUnsafeMutableBufferPointer { d in
                    for ci in 0..<c {
                        var sumDy: Float = 0, sumDyXhat: Float = 0
                        for ni in 0..<n {
                            let off = (ni * c + ci) * s
                            for si in 0..<s {
                                sumDy += dy[off + si]
                                sumDyXhat += dy[off + si] * xh[off + si]
                            }
                        }
                        weight.grad.data[ci] += sumDyXhat
                        bias.grad.data[ci] += sumDy
                        let g = weight.value.data[ci] * cachedInvStd[ci]
                        if cachedTraining {
                            // dx = gamma * invstd / M * (M dy - sum(dy) - xhat * sum(dy xhat))
                            let meanDy = sumDy / m, meanDyXhat = sumDyXhat / m
                            for ni in 0..<n {
                                let off = (ni * c + ci) * s
                                for si in 0..<s {
                                    d[off + si] = g * (dy[off + si] - meanDy - xh[off + si] * meanDyXhat)
                                }
                            }
                        } else {
                            for ni in 0..<n {
                                let off = (ni * c + ci) * s
                                for si in 0..<s { d[off + si] = g * dy[off + si] }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: cachedShape, data: dx)
    }
}

/// BatchNorm over `[N, C]` or `[N, C, L]` (PyTorch `nn.BatchNorm1d`).
public typealias BatchNorm1d = BatchNorm
/// BatchNorm over `[N, C, H, W]` (PyTorch `nn.BatchNorm2d`).
public typealias BatchNorm2d = BatchNorm
