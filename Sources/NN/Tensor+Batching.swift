extension Tensor {
    /// The items at `indices` along axis 0, in that order: `[N, ...] -> [indices.count, ...]`.
    /// How a trainer gathers a shuffled mini-batch from a dataset tensor.
    public func items<C: Collection>(_ indices: C) -> Tensor where C.Element == Int {
        precondition(!shape.isEmpty, "items(_:) needs a batch axis")
        let itemSize = shape.dropFirst().reduce(1, *)
        var out = [Float](repeating: 0, count: indices.count * itemSize)
        data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for (row, i) in indices.enumerated() {
                    precondition(i >= 0 && i < shape[0], "item \(i) outside 0..<\(shape[0])")
                    (dst.baseAddress! + row * itemSize).update(from: src.baseAddress! + i * itemSize, count: itemSize)
                }
            }
        }
        return Tensor(shape: [indices.count] + shape.dropFirst(), data: out)
    }

    /// Stacks same-shaped tensors along a new leading axis: `k x [d...] -> [k, d...]`.
    public static func stack(_ tensors: [Tensor]) -> Tensor {
        guard let first = tensors.first else { return Tensor(zeros: [0]) }
        precondition(tensors.allSatisfy { $0.shape == first.shape }, "stack needs equal shapes")
        var data: [Float] = []
        data.reserveCapacity(first.count * tensors.count)
        for t in tensors { data += t.data }
        return Tensor(shape: [tensors.count] + first.shape, data: data)
    }
}
