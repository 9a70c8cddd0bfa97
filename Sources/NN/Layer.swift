/// One differentiable step of a network: forward and backward side by side.
///
/// The contract, llm.c style:
/// - `forward(_:training:)` computes the output and remembers what `backward` needs (its input,
///   a mask, argmax indices...). `training` switches BatchNorm to batch statistics and enables
///   Dropout; with `training == false` a layer is a pure function of its input and parameters.
/// - `backward(_:)` takes the gradient of the loss with respect to the last forward's output,
///   **adds** parameter gradients into `Parameter.grad`, and returns the gradient with respect to
///   the input. It must follow a forward on the same layer.
/// - Layers are classes with one owner (a model used by one thread at a time); they are not
///   `Sendable`. Workers that run in parallel each load their own model instance.
public protocol Layer: AnyObject {
    /// Computes the output for `input`, caching what `backward` needs.
    func forward(_ input: Tensor, training: Bool) -> Tensor
    /// Returns dLoss/dInput for dLoss/dOutput, accumulating parameter gradients.
    func backward(_ outputGrad: Tensor) -> Tensor
    /// Trainable parameters, in a stable order (the order of saved tensors and optimiser state).
    var parameters: [Parameter] { get }
    /// Non-trainable state saved with the model (BatchNorm running statistics).
    var buffers: [Parameter] { get }
}

extension Layer {
    public var parameters: [Parameter] { [] }
    public var buffers: [Parameter] { [] }

    /// Forward in evaluation mode (`training: false`).
    public func callAsFunction(_ input: Tensor) -> Tensor { forward(input, training: false) }
}
