/// Rectified linear unit, `max(0, x)`, any shape.
///
/// Backward passes the gradient where the input was positive (the subgradient at 0 is 0).
public final class ReLU: Layer {
    private var cachedInput: Tensor?

    public init() {}

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        var out = input.data
        out.withUnsafeMutableBufferPointer { y in
            for i in 0..<y.count where y[i] < 0 { y[i] = 0 }
        }
        cachedInput = input
        return Tensor(shape: input.shape, data: out)
    }

    public func backward(_ outputGrad: Tensor) -> Tensor {
        guard let input = cachedInput else { preconditionFailure("ReLU.backward called before forward") }
        precondition(outputGrad.shape == input.shape)
        var dx = outputGrad.data
        dx.withUnsafeMutableBufferPointer { d in
            input.data.withUnsafeBufferPointer { x in
                for i in 0..<d.count where x[i] <= 0 { d[i] = 0 }
            }
        }
        return Tensor(shape: input.shape, data: dx)
    }
}
