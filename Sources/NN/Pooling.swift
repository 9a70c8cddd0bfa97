/// Max pooling over the last axis of `[N, C, L]` (PyTorch `nn.MaxPool1d`, no padding, floor mode).
///
/// `Lout = (L - kernelSize) / stride + 1`. Forward remembers the winning index of each window;
/// backward routes each output gradient to that index (ties go to the first maximum).
public final class MaxPool1d: Layer {
    public let kernelSize: Int, stride: Int
    private var cachedShape: [Int] = []
    private var argmax: [Int32] = []

    /// `stride` defaults to `kernelSize` (non-overlapping windows).
    public init(kernelSize: Int, stride: Int? = nil) {
        precondition(kernelSize > 0 && (stride ?? 1) > 0)
        self.kernelSize = kernelSize; self.stride = stride ?? kernelSize
    }

    public func outputLength(for length: Int) -> Int { (length - kernelSize) / stride + 1 }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(input.shape.count == 3, "MaxPool1d expects [N, C, L], got \(input.shape)")
        let rows = input.shape[0] * input.shape[1], l = input.shape[2]
        let lo = outputLength(for: l)
        precondition(l >= kernelSize && lo >= 1, "MaxPool1d input length \(l) < kernel \(kernelSize)")
        var out = [Float](repeating: 0, count: rows * lo)
        var arg = [Int32](repeating: 0, count: rows * lo)
        input.data.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { y in
                arg.withUnsafeMutableBufferPointer { a in
                    for r in 0..<rows {
                        let src = x.baseAddress! + r * l
                        for o in 0..<lo {
                            let start = o * stride
                            var best = src[start], bestIndex = start
                            for k in 1..<max(kernelSize, 1) where src[start + k] > best {
                                best = src[start + k]; bestIndex = start + k
                            }
                            y[r * lo + o] = best
                            a[r * lo + o] = Int32(r * l + bestIndex)
                        }
                    }
                }
            }
        }
        cachedShape = input.shape
        argmax = arg
        return Tensor(shape: [input.shape[0], input.shape[1], lo], data: out)
    }

    public func backward(_ outputGrad: Tensor) -> Tensor {
        precondition(outputGrad.count == argmax.count, "MaxPool1d grad shape \(outputGrad.shape)")
        return routeToArgmax(outputGrad.data, argmax, inputShape: cachedShape)
    }
}

/// Max pooling over the last two axes of NCHW (PyTorch `nn.MaxPool2d`, no padding, floor mode).
public final class MaxPool2d: Layer {
    public let kernelSize: (height: Int, width: Int)
    public let stride: (height: Int, width: Int)
    private var cachedShape: [Int] = []
    private var argmax: [Int32] = []

    /// Square window; `stride` defaults to `kernelSize`.
    public init(kernelSize: Int, stride: Int? = nil) {
        precondition(kernelSize > 0 && (stride ?? 1) > 0)
        self.kernelSize = (kernelSize, kernelSize)
        self.stride = (stride ?? kernelSize, stride ?? kernelSize)
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(input.shape.count == 4, "MaxPool2d expects [N, C, H, W], got \(input.shape)")
        let planes = input.shape[0] * input.shape[1], h = input.shape[2], w = input.shape[3]
        let (kh, kw) = kernelSize, (sh, sw) = stride
        precondition(h >= kh && w >= kw, "MaxPool2d input \(h)x\(w) smaller than its window")
        let ho = (h - kh) / sh + 1, wo = (w - kw) / sw + 1
        var out = [Float](repeating: 0, count: planes * ho * wo)
        var arg = [Int32](repeating: 0, count: planes * ho * wo)
        input.data.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { y in
                arg.withUnsafeMutableBufferPointer { a in
                    for p in 0..<planes {
                        let src = x.baseAddress! + p * h * w
                        for oy in 0..<ho {
                            for ox in 0..<wo {
                                var bestIndex = oy * sh * w + ox * sw
                                var best = src[bestIndex]
                                for ky in 0..<kh {
                                    for kx in 0..<kw {
                                        let idx = (oy * sh + ky) * w + ox * sw + kx
                                        if src[idx] > best { best = src[idx]; bestIndex = idx }
                                    }
                                }
                                let o = (p * ho + oy) * wo + ox
                                y[o] = best
                                a[o] = Int32(p * h * w + bestIndex)
                            }
                        }
                    }
                }
            }
        }
        cachedShape = input.shape
        argmax = arg
        return Tensor(shape: [input.shape[0], input.shape[1], ho, wo], data: out)
    }

    public func backward(_ outputGrad: Tensor) -> Tensor {
        precondition(outputGrad.count == argmax.count, "MaxPool2d grad shape \(outputGrad.shape)")
        return routeToArgmax(outputGrad.data, argmax, inputShape: cachedShape)
    }
}

/// Scatters each pooled gradient back to the input position that won the max.
private func routeToArgmax(_ grad: [Float], _ argmax: [Int32], inputShape: [Int]) -> Tensor {
    var dx = [Float](repeating: 0, count: inputShape.reduce(1, *))
    dx.withUnsafeMutableBufferPointer { d in
        grad.withUnsafeBufferPointer { g in
            argmax.withUnsafeBufferPointer { a in
                for i in 0..<g.count { d[Int(a[i])] += g[i] }
            }
        }
    }
    return Tensor(shape: inputShape, data: dx)
}

/// Mean over the last axis: `[N, C, L] -> [N, C]`.
///
/// Makes a conv net independent of the input length: whatever the number of frames, the head
/// sees one value per channel.
public final class GlobalAveragePool1d: Layer {
    private var cachedShape: [Int] = []

    public init() {}

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(input.shape.count == 3 && input.shape[2] > 0,
                     "GlobalAveragePool1d expects [N, C, L], got \(input.shape)")
        let rows = input.shape[0] * input.shape[1], l = input.shape[2]
        var out = [Float](repeating: 0, count: rows)
        let scale = 1 / Float(l)
        input.data.withUnsafeBufferPointer { x in
            for r in 0..<rows {
                let src = x.baseAddress! + r * l
                var sum: Float = 0
                for i in 0..<l { sum += src[i] }
                out[r] = sum * scale
            }
        }
        cachedShape = input.shape
        return Tensor(shape: [input.shape[0], input.shape[1]], data: out)
    }

    public func backward(_ outputGrad: Tensor) -> Tensor {
        let rows = cachedShape[0] * cachedShape[1], l = cachedShape[2]
        precondition(outputGrad.count == rows, "GlobalAveragePool1d grad shape \(outputGrad.shape)")
        var dx = [Float](repeating: 0, count: rows * l)
        let scale = 1 / Float(l)
        dx.withUnsafeMutableBufferPointer { d in
            for r in 0..<rows {
                let v = outputGrad.data[r] * scale
                (d.baseAddress! + r * l).update(repeating: v, count: l)
            }
        }
        return Tensor(shape: cachedShape, data: dx)
    }
}
