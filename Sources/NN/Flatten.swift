/// `[N, d1, d2, ...] -> [N, d1 * d2 * ...]`: joins a conv stack to a linear head.
///
/// Row-major order is kept, so flattening `[N, C, L]` lists channel 0's positions first
/// (PyTorch `nn.Flatten` order).
public final class Flatten: Layer {
    private var cachedShape: [Int] = []

    public init() {}

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(input.shape.count >= 1)
        cachedShape = input.shape
        let n = input.shape[0]
        return input.reshaped([n, n == 0 ? 0 : input.count / n])
    }

    public func backward(_ outputGrad: Tensor) -> Tensor { outputGrad.reshaped(cachedShape) }
}
