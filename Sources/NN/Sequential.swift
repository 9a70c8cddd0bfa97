/// A chain of layers applied in order; backward runs them in reverse.
///
/// Tensor names follow PyTorch's `nn.Sequential` state dict: the layer's position, a dot and
/// the layer-local name (`0.weight`, `1.running_mean`), so a model file lists its tensors in a
/// way that is easy to map to a reference implementation.
public final class Sequential: Layer {
    /// The layers, applied first to last.
    public private(set) var layers: [Layer]

    public init(_ layers: [Layer]) { self.layers = layers }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        var x = input
        for layer in layers { x = layer.forward(x, training: training) }
        return x
    }

    public func backward(_ outputGrad: Tensor) -> Tensor {
        var g = outputGrad
        for layer in layers.reversed() { g = layer.backward(g) }
        return g
    }

    public var parameters: [Parameter] { layers.flatMap { $0.parameters } }
    public var buffers: [Parameter] { layers.flatMap { $0.buffers } }

    /// Every parameter and buffer under its state-dict name (`"<index>.<name>"`), in layer order.
    public var namedTensors: [(name: String, parameter: Parameter)] {
        var out: [(name: String, parameter: Parameter)] = []
        for (i, layer) in layers.enumerated() {
            for p in layer.parameters + layer.buffers { out.append(("\(i).\(p.name)", p)) }
        }
        return out
    }

    /// Zeroes every trainable parameter's gradient.
    public func zeroGrad() { for p in parameters { p.zeroGrad() } }

    /// Number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }
}
