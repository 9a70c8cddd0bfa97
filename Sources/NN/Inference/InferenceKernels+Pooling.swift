/// NHWC pooling.
extension InferenceKernels {
    /// Max pooling over NHWC; padded cells are ignored (act as -inf), as in Keras "same".
    public static func maxPool2dNHWC(
        input: UnsafePointer<Float>, batch: Int, height: Int, width: Int, channels: Int,
        window: Window2D, output: UnsafeMutablePointer<Float>
    ) {
        let oh = window.outputHeight(height), ow = window.outputWidth(width)
        for n in 0..<batch {
            let image = input + n * height * width * channels
            for oy in 0..<oh {
                let y0 = max(0, oy * window.strideY - window.padTop)
                let y1 = min(height, oy * window.strideY - window.padTop + window.kernelHeight)
                for ox in 0..<ow {
                    let x0 = max(0, ox * window.strideX - window.padLeft)
                    let x1 = min(width, ox * window.strideX - window.padLeft + window.kernelWidth)
                    let o = output + ((n * oh + oy) * ow + ox) * channels
                    o.update(repeating: -Float.infinity, count: channels)
                    for y in y0..<y1 {
                        for x in x0..<x1 {
                            let i = image + (y * width + x) * channels
                            for c in 0..<channels { o[c] = max(o[c], i[c]) }
                        }
                    }
                }
            }
        }
    }

    /// Mean over the spatial positions: `[batch, positions, channels]` -> `[batch, channels]`.
    public static func globalAveragePool(
        input: UnsafePointer<Float>, batch: Int, positions: Int, channels: Int,
        output: UnsafeMutablePointer<Float>
    ) {
        let scale = 1 / Float(positions)
        for n in 0..<batch {
            let o = output + n * channels
            o.update(repeating: 0, count: channels)
            for p in 0..<positions {
                let i = input + (n * positions + p) * channels
                for c in 0..<channels { o[c] += i[c] }
            }
            for c in 0..<channels { o[c] *= scale }
        }
    }
}
