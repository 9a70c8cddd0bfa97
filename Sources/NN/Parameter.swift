/// A named tensor owned by a layer, with room for its gradient.
///
/// A class on purpose: the layer, the optimiser and the model file writer all refer to the
/// same storage, so an optimiser step updates the layer's weights without copying them back.
/// Trainable parameters accumulate into `grad` during `backward`; buffers (BatchNorm running
/// statistics) use only `value` and are saved with the model but never optimised.
public final class Parameter {
    /// The layer-local name (`weight`, `bias`, `running_mean`...), PyTorch style.
    public let name: String
    /// Current value.
    public var value: Tensor
    /// Gradient of the loss with respect to `value`, same shape; accumulated by `backward`.
    public var grad: Tensor

    public init(name: String, value: Tensor) {
        self.name = name
        self.value = value
        self.grad = Tensor(zeros: value.shape)
    }

    /// Sets the gradient to zero (keeps its storage).
    public func zeroGrad() {
        grad.data.withUnsafeMutableBufferPointer { g in
            g.update(repeating: 0)
        }
    }
}
