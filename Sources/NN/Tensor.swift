/// A dense Float32 tensor: a shape and its values in row-major order.
///
/// A value type on purpose: layers own their parameters and gradients, activations are passed
/// along by value, and copy-on-write keeps that cheap. Layout conventions used across NN:
/// - Conv1d activations are `[batch, channels, length]`,
/// - Conv2d activations are `[batch, channels, height, width]` (NCHW),
/// - Linear activations are `[batch, features]`.
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var data: [Float]

    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count,
                     "shape \(shape) needs \(shape.reduce(1, *)) values, got \(data.count)")
        self.shape = shape
        self.data = data
    }

    public init(zeros shape: [Int]) {
        self.init(shape: shape, data: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    /// Number of values.
    public var count: Int { data.count }

    /// The same values under another shape with the same count.
    public func reshaped(_ newShape: [Int]) -> Tensor { Tensor(shape: newShape, data: data) }
}
