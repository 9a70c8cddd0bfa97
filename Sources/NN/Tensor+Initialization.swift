extension Tensor {
    /// A tensor filled with `value`.
    public init(shape: [Int], repeating value: Float) {
        self.init(shape: shape, data: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// He (Kaiming) normal initialisation: N(0, 2 / fanIn), the right scale for layers followed
    /// by ReLU so that activations neither vanish nor explode with depth.
    public static func kaimingNormal(shape: [Int], fanIn: Int, using rng: inout SeededRandom) -> Tensor {
        let std = (2.0 / Float(max(fanIn, 1))).squareRoot()
        var data = [Float](repeating: 0, count: shape.reduce(1, *))
        data.withUnsafeMutableBufferPointer { d in
            var i = 0
            while i < d.count {
                let (a, b) = rng.nextGaussianPair()
                d[i] = a * std
                if i + 1 < d.count { d[i + 1] = b * std }
                i += 2
            }
        }
        return Tensor(shape: shape, data: data)
    }

    /// Uniform values in `[-bound, bound)`.
    public static func uniform(shape: [Int], bound: Float, using rng: inout SeededRandom) -> Tensor {
        var data = [Float](repeating: 0, count: shape.reduce(1, *))
        for i in data.indices { data[i] = (rng.nextUniform() * 2 - 1) * bound }
        return Tensor(shape: shape, data: data)
    }
}
