/// Fully connected layer, PyTorch `nn.Linear` layout: `y = x W^T + b`.
///
/// Shapes: weight `[outFeatures, inFeatures]`, bias `[outFeatures]`, input `[N, inFeatures]`,
/// output `[N, outFeatures]`. Forward is one sgemm; backward is two (`dW += dY^T x`,
/// `dX = dY W`) plus a column sum for the bias.
public final class Linear: Layer {
    public let inFeatures: Int, outFeatures: Int
    public let weight: Parameter
    public let bias: Parameter?
    private var cachedInput: Tensor?

    /// He-initialised weights, zero bias.
    public init(inFeatures: Int, outFeatures: Int, bias: Bool = true, rng: inout SeededRandom) {
        precondition(inFeatures > 0 && outFeatures > 0)
        self.inFeatures = inFeatures; self.outFeatures = outFeatures
        weight = Parameter(name: "weight", value: .kaimingNormal(
            shape: [outFeatures, inFeatures], fanIn: inFeatures, using: &rng))
        self.bias = bias ? Parameter(name: "bias", value: Tensor(zeros: [outFeatures])) : nil
    }

    public var parameters: [Parameter] { bias.map { [weight, $0] } ?? [weight] }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(input.shape.count == 2 && input.shape[1] == inFeatures,
                     "Linear expects [N, \(inFeatures)], got \(input.shape)")
        let n = input.shape[0]
        var out = [Float](repeating: 0, count: n * outFeatures)
        if let bias {
            out.withUnsafeMutableBufferPointer { y in
                for i in 0..<n { (y.baseAddress! + i * outFeatures).update(from: bias.value.data, count: outFeatures) }
            }
        }
        input.data.withUnsafeBufferPointer { x in
            weight.value.data.withUnsafeBufferPointer { w in
                out.withUnsafeMutableBufferPointer { y in
                    sgemm(transA: false, transB: true, m: n, n: outFeatures, k: inFeatures,
                          a: x.baseAddress!, lda: inFeatures, b: w.baseAddress!, ldb: inFeatures,
                          beta: bias == nil ? 0 : 1, c: y.baseAddress!, ldc: outFeatures)
                }
            }
        }
        cachedInput = input
        return Tensor(shape: [n, outFeatures], data: out)
    }

    public func backward(_ outputGrad: Tensor) -> Tensor {
        guard let input = cachedInput else { preconditionFailure("Linear.backward called before forward") }
        let n = input.shape[0]
        precondition(outputGrad.shape == [n, outFeatures], "Linear grad shape \(outputGrad.shape)")
        if let bias { accumulateChannelSums(into: &bias.grad.data, from: outputGrad.data, n: n, c: outFeatures, s: 1) }
        var dx = [Float](repeating: 0, count: n * inFeatures)
        outputGrad.data.withUnsafeBufferPointer { g in
            input.data.withUnsafeBufferPointer { x in
                weight.grad.data.withUnsafeMutableBufferPointer { dw in
                    sgemm(transA: true, transB: false, m: outFeatures, n: inFeatures, k: n,
                          a: g.baseAddress!, lda: outFeatures, b: x.baseAddress!, ldb: inFeatures,
                          beta: 1, c: dw.baseAddress!, ldc: inFeatures)
                }
            }
            weight.value.data.withUnsafeBufferPointer { w in
                dx.withUnsafeMutableBufferPointer { d in
                    sgemm(transA: false, transB: false, m: n, n: inFeatures, k: outFeatures,
                          a: g.baseAddress!, lda: outFeatures, b: w.baseAddress!, ldb: inFeatures,
                          c: d.baseAddress!, ldc: inFeatures)
                }
            }
        }
        return Tensor(shape: input.shape, data: dx)
    }
}
