/// 2-D convolution (cross-correlation, as in PyTorch `nn.Conv2d`) over NCHW activations.
///
/// Shapes: weight `[outChannels, inChannels, kernelH, kernelW]` (OIHW), bias `[outChannels]`,
/// input `[N, inChannels, H, W]`, output `[N, outChannels, Ho, Wo]` with
/// `Ho = (H + 2 * padH - kernelH) / strideH + 1` (same for W).
///
/// Same scheme as `Conv1d`: im2col the batch into `cols [C*KH*KW, N*Ho*Wo]`, one sgemm, then
/// move to batch-first; backward is two sgemms and a col2im.
public final class Conv2d: Layer {
    public let inChannels: Int, outChannels: Int
    public let kernelSize: (height: Int, width: Int)
    public let stride: (height: Int, width: Int)
    public let padding: (height: Int, width: Int)
    public let weight: Parameter
    public let bias: Parameter?

    private var cachedInputShape: [Int] = []
    private var cachedCols: [Float] = []

    /// He-initialised weights, zero bias. Square kernel/stride/padding.
    public convenience init(
        inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
        bias: Bool = true, rng: inout SeededRandom
    ) {
        self.init(inChannels: inChannels, outChannels: outChannels, kernelSize: (kernelSize, kernelSize),
                  stride: (stride, stride), padding: (padding, padding), bias: bias, rng: &rng)
    }

    /// He-initialised weights, zero bias.
    public init(
        inChannels: Int, outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
        padding: (Int, Int) = (0, 0), bias: Bool = true, rng: inout SeededRandom
    ) {
        precondition(inChannels > 0 && outChannels > 0 && kernelSize.0 > 0 && kernelSize.1 > 0)
        precondition(stride.0 > 0 && stride.1 > 0 && padding.0 >= 0 && padding.1 >= 0)
        self.inChannels = inChannels; self.outChannels = outChannels
        self.kernelSize = kernelSize; self.stride = stride; self.padding = padding
        weight = Parameter(name: "weight", value: .kaimingNormal(
            shape: [outChannels, inChannels, kernelSize.0, kernelSize.1],
            fanIn: inChannels * kernelSize.0 * kernelSize.1, using: &rng))
        self.bias = bias ? Parameter(name: "bias", value: Tensor(zeros: [outChannels])) : nil
    }

    public var parameters: [Parameter] { bias.map { [weight, $0] } ?? [weight] }

    /// Output `(height, width)` for an input of `height x width`.
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        ((height + 2 * padding.height - kernelSize.height) / stride.height + 1,
         (width + 2 * padding.width - kernelSize.width) / stride.width + 1)
    }

    private var kernelTaps: Int { inChannels * kernelSize.height * kernelSize.width }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(input.shape.count == 4 && input.shape[1] == inChannels,
                     "Conv2d expects [N, \(inChannels), H, W], got \(input.shape)")
        let n = input.shape[0], h = input.shape[2], w = input.shape[3]
        let (ho, wo) = outputSize(height: h, width: w)
        precondition(ho >= 1 && wo >= 1, "Conv2d input \(h)x\(w) too small for its kernel")
        let ck = kernelTaps, o = outChannels, plane = ho * wo
        var cols = [Float](repeating: 0, count: ck * n * plane)
        input.data.withUnsafeBufferPointer { x in
            cols.withUnsafeMutableBufferPointer { c in
                Im2col.unroll2d(x.baseAddress!, n: n, c: inChannels, h: h, w: w,
                                kernel: kernelSize, stride: stride, padding: padding, out: (ho, wo),
                                into: c.baseAddress!)
            }
        }
        var out = [Float](repeating: 0, count: n * o * plane)
        var product = n == 1 ? [] : [Float](repeating: 0, count: o * n * plane)
        weight.value.data.withUnsafeBufferPointer { wt in
            cols.withUnsafeBufferPointer { c in
                out.withUnsafeMutableBufferPointer { y in
                    if n == 1 {
                        sgemm(transA: false, transB: false, m: o, n: plane, k: ck,
                              a: wt.baseAddress!, lda: ck, b: c.baseAddress!, ldb: plane,
                              c: y.baseAddress!, ldc: plane)
                    } else {
                        product.withUnsafeMutableBufferPointer { p in
                            sgemm(transA: false, transB: false, m: o, n: n * plane, k: ck,
                                  a: wt.baseAddress!, lda: ck, b: c.baseAddress!, ldb: n * plane,
                                  c: p.baseAddress!, ldc: n * plane)
                            Im2col.swapLeadingAxes(p.baseAddress!, a: o, b: n, s: plane, into: y.baseAddress!)
                        }
                    }
                }
            }
        }
        if let bias { addChannelBias(&out, bias.value.data, n: n, c: o, s: plane) }
        cachedInputShape = input.shape
        cachedCols = cols
        return Tensor(shape: [n, o, ho, wo], data: out)
    }

    public func backward(_ outputGrad: Tensor) -> Tensor {
        precondition(!cachedInputShape.isEmpty, "Conv2d.backward called before forward")
        let n = cachedInputShape[0], h = cachedInputShape[2], w = cachedInputShape[3]
        let (ho, wo) = outputSize(height: h, width: w)
        let o = outChannels, ck = kernelTaps, plane = ho * wo
        precondition(outputGrad.shape == [n, o, ho, wo], "Conv2d grad shape \(outputGrad.shape)")
        var dyT = outputGrad.data
        if n > 1 {
            outputGrad.data.withUnsafeBufferPointer { g in
                dyT.withUnsafeMutableBufferPointer { t in
                    Im2col.swapLeadingAxes(g.baseAddress!, a: n, b: o, s: plane, into: t.baseAddress!)
                }
            }
        }
        if let bias { accumulateChannelSums(into: &bias.grad.data, from: outputGrad.data, n: n, c: o, s: plane) }
        var dcols = [Float](repeating: 0, count: ck * n * plane)
        dyT.withUnsafeBufferPointer { g in
            cachedCols.withUnsafeBufferPointer { c in
                weight.grad.data.withUnsafeMutableBufferPointer { dw in
                    sgemm(transA: false, transB: true, m: o, n: ck, k: n * plane,
                          a: g.baseAddress!, lda: n * plane, b: c.baseAddress!, ldb: n * plane,
                          beta: 1, c: dw.baseAddress!, ldc: ck)
                }
            }
            weight.value.data.withUnsafeBufferPointer { wt in
                dcols.withUnsafeMutableBufferPointer { dc in
                    sgemm(transA: true, transB: false, m: ck, n: n * plane, k: o,
                          a: wt.baseAddress!, lda: ck, b: g.baseAddress!, ldb: n * plane,
                          c: dc.baseAddress!, ldc: n * plane)
                }
            }
        }
        var dx = [Float](repeating: 0, count: n * inChannels * h * w)
        dcols.withUnsafeBufferPointer { dc in
            dx.withUnsafeMutableBufferPointer { d in
                Im2col.fold2d(dc.baseAddress!, n: n, c: inChannels, h: h, w: w,
                              kernel: kernelSize, stride: stride, padding: padding, out: (ho, wo),
                              into: d.baseAddress!)
            }
        }
        return Tensor(shape: cachedInputShape, data: dx)
    }
}
