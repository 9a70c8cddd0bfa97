/// Inverted dropout: in training, zeroes each value with probability `rate` and scales the
/// survivors by `1 / (1 - rate)`; in evaluation, the identity.
///
/// The layer owns its own seeded generator so that a training run is reproducible from one
/// seed and independent of what other layers draw.
public final class Dropout: Layer {
    public let rate: Float
    private var rng: SeededRandom
    private var mask: [Float] = []
    private var cachedShape: [Int] = []

    public init(rate: Float, seed: UInt64) {
        precondition(rate >= 0 && rate < 1, "dropout rate must be in [0, 1)")
        self.rate = rate
        self.rng = SeededRandom(seed: seed)
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        cachedShape = input.shape
        guard training && rate > 0 else {
            mask = []
            return input
        }
        let keep = 1 - rate, scale = 1 / (1 - rate)
        var m = [Float](repeating: 0, count: input.count)
        for i in 0..<m.count where rng.nextUniform() < keep { m[i] = scale }
        var out = input.data
        out.withUnsafeMutableBufferPointer { y in
            m.withUnsafeBufferPointer { mk in for i in 0..<y.count { y[i] *= mk[i] } }
        }
        mask = m
        return Tensor(shape: input.shape, data: out)
    }

    public func backward(_ outputGrad: Tensor) -> Tensor {
        precondition(outputGrad.shape == cachedShape, "Dropout grad shape \(outputGrad.shape)")
        guard !mask.isEmpty else { return outputGrad }
        var dx = outputGrad.data
        dx.withUnsafeMutableBufferPointer { d in
            mask.withUnsafeBufferPointer { mk in for i in 0..<d.count { d[i] *= mk[i] } }
        }
        return Tensor(shape: cachedShape, data: dx)
    }
}
