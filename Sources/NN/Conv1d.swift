/// 1-D convolution (cross-correlation, as in PyTorch `nn.Conv1d`) over `[N, C, L]`.
///
/// Shapes: weight `[outChannels, inChannels, kernelSize]`, bias `[outChannels]`, input
/// `[N, inChannels, L]`, output `[N, outChannels, Lout]` with
/// `Lout = (L + 2 * padding - kernelSize) / stride + 1`.
///
/// Forward: im2col the whole batch into `cols [C*K, N*Lout]`, then one sgemm
/// `W [O, C*K] x cols -> [O, N*Lout]`, then move to batch-first and add the bias.
/// Backward: `dW += dY' x cols^T`, `db += sum dY`, `dcols = W^T x dY'`, col2im into dX.
public final class Conv1d: Layer {
    public let inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int, padding: Int
    public let weight: Parameter
    public let bias: Parameter?

    private var cachedInputShape: [Int] = []
    private var cachedCols: [Float] = []

    /// He-initialised weights, zero bias.
    public init(
        inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
        bias: Bool = true, rng: inout SeededRandom
    ) {
        precondition(inChannels > 0 && outChannels > 0 && kernelSize > 0 && stride > 0 && padding >= 0)
        self.inChannels = inChannels; self.outChannels = outChannels
        self.kernelSize = kernelSize; self.stride = stride; self.padding = padding
        weight = Parameter(name: "weight", value: .kaimingNormal(
            shape: [outChannels, inChannels, kernelSize], fanIn: inChannels * kernelSize, using: &rng))
        self.bias = bias ? Parameter(name: "bias", value: Tensor(zeros: [outChannels])) : nil
    }

    public var parameters: [Parameter] { bias.map { [weight, $0] } ?? [weight] }

    /// Output length for an input of length `length` (may be < 1 if the input is too short).
    public func outputLength(for length: Int) -> Int {
        (length + 2 * padding - kernelSize) / stride + 1
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(input.shape.count == 3 && input.shape[1] == inChannels,
                     "Conv1d expects [N, \(inChannels), L], got \(input.shape)")
        let n = input.shape[0], l = input.shape[2]
        let lo = outputLength(for: l)
        precondition(lo >= 1, "Conv1d input length \(l) too short for kernel \(kernelSize)")
        let ck = inChannels * kernelSize, o = outChannels
        var cols = [Float](repeating: 0, count: ck * n * lo)
        input.data.withUnsafeBufferPointer { x in
            cols.withUnsafeMutableBufferPointer { c in
                Im2col.unroll1d(x.baseAddress!, n: n, c: inChannels, l: l, kernel: kernelSize,
                                stride: stride, padding: padding, outLength: lo, into: c.baseAddress!)
            }
        }
        var out = [Float](repeating: 0, count: n * o * lo)
        var product = n == 1 ? [] : [Float](repeating: 0, count: o * n * lo)
        weight.value.data.withUnsafeBufferPointer { w in
            cols.withUnsafeBufferPointer { c in
                out.withUnsafeMutableBufferPointer { y in
                    if n == 1 {
                        // [O, 1*Lout] is already the batch-first layout.
                        sgemm(transA: false, transB: false, m: o, n: lo, k: ck,
                              a: w.baseAddress!, lda: ck, b: c.baseAddress!, ldb: lo,
                              c: y.baseAddress!, ldc: lo)
                    } else {
                        product.withUnsafeMutableBufferPointer { p in
                            sgemm(transA: false, transB: false, m: o, n: n * lo, k: ck,
                                  a: w.baseAddress!, lda: ck, b: c.baseAddress!, ldb: n * lo,
                                  c: p.baseAddress!, ldc: n * lo)
                            Im2col.swapLeadingAxes(p.baseAddress!, a: o, b: n, s: lo, into: y.baseAddress!)
                        }
                    }
                }
            }
        }
        if let bias {
            addChannelBias(&out, bias.value.data, n: n, c: o, s: lo)
        }
        cachedInputShape = input.shape
        cachedCols = cols
        return Tensor(shape: [n, o, lo], data: out)
    }

    public func backward(_ outputGrad: Tensor) -> Tensor {
        precondition(!cachedInputShape.isEmpty, "Conv1d.backward called before forward")
        let n = cachedInputShape[0], l = cachedInputShape[2]
        let lo = outputLength(for: l), o = outChannels, ck = inChannels * kernelSize
        precondition(outputGrad.shape == [n, o, lo], "Conv1d grad shape \(outputGrad.shape) != \([n, o, lo])")
        // dY in channel-major layout [O, N*Lout], the shape the sgemm produced.
        var dyT = outputGrad.data
        if n > 1 {
            outputGrad.data.withUnsafeBufferPointer { g in
                dyT.withUnsafeMutableBufferPointer { t in
                    Im2col.swapLeadingAxes(g.baseAddress!, a: n, b: o, s: lo, into: t.baseAddress!)
                }
            }
        }
        if let bias { accumulateChannelSums(into: &bias.grad.data, from: outputGrad.data, n: n, c: o, s: lo) }
        var dcols = [Float](repeating: 0, count: ck * n * lo)
        dyT.withUnsafeBufferPointer { g in
            cachedCols.withUnsafeBufferPointer { c in
                weight.grad.data.withUnsafeMutableBufferPointer { dw in
                    sgemm(transA: false, transB: true, m: o, n: ck, k: n * lo,
                          a: g.baseAddress!, lda: n * lo, b: c.baseAddress!, ldb: n * lo,
                          beta: 1, c: dw.baseAddress!, ldc: ck)
                }
            }
            weight.value.data.withUnsafeBufferPointer { w in
                dcols.withUnsafeMutableBufferPointer { dc in
                    sgemm(transA: true, transB: false, m: ck, n: n * lo, k: o,
                          a: w.baseAddress!, lda: ck, b: g.baseAddress!, ldb: n * lo,
                          c: dc.baseAddress!, ldc: n * lo)
                }
            }
        }
        var dx = [Float](repeating: 0, count: n * inChannels * l)
        dcols.withUnsafeBufferPointer { dc in
            dx.withUnsafeMutableBufferPointer { d in
                Im2col.fold1d(dc.baseAddress!, n: n, c: inChannels, l: l, kernel: kernelSize,
                              stride: stride, padding: padding, outLength: lo, into: d.baseAddress!)
            }
        }
        return Tensor(shape: cachedInputShape, data: dx)
    }
}

/// Adds `bias[c]` to every value of channel `c` in a `[N, C, S]` buffer.
func addChannelBias(_ data: inout [Float], _ bias: [Float], n: Int, c: Int, s: Int) {
    data.withUnsafeMutableBufferPointer { y in
        bias.withUnsafeBufferPointer { b in
            for ni in 0..<n {
                for ci in 0..<c {
                    let base = y.baseAddress! + (ni * c + ci) * s
                    let v = b[ci]
                    for si in 0..<s { base[si] += v }
                }
            }
        }
    }
}

/// `acc[c] += sum over n, s of data[n, c, s]` for a `[N, C, S]` buffer.
func accumulateChannelSums(into acc: inout [Float], from data: [Float], n: Int, c: Int, s: Int) {
    acc.withUnsafeMutableBufferPointer { a in
        data.withUnsafeBufferPointer { g in
            for ni in 0..<n {
                for ci in 0..<c {
                    let base = g.baseAddress! + (ni * c + ci) * s
                    var sum: Float = 0
                    for si in 0..<s { sum += base[si] }
                    a[ci] += sum
                }
            }
        }
    }
}
