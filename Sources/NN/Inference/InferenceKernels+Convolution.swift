/// NHWC convolutions for Keras-layout weights.
extension InferenceKernels {
    /// Geometry of a 2-D convolution or pooling window over an NHWC tensor.
    public struct Window2D: Sendable, Equatable {
        public var kernelHeight: Int, kernelWidth: Int
        public var strideY: Int, strideX: Int
        /// Zero padding (or -inf for max pooling): top, bottom, left, right.
        public var padTop: Int, padBottom: Int, padLeft: Int, padRight: Int

        public init(kernelHeight: Int, kernelWidth: Int, strideY: Int = 1, strideX: Int = 1,
                    padTop: Int = 0, padBottom: Int = 0, padLeft: Int = 0, padRight: Int = 0) {
            self.kernelHeight = kernelHeight
            self.kernelWidth = kernelWidth
            self.strideY = strideY
            self.strideX = strideX
            self.padTop = padTop
            self.padBottom = padBottom
            self.padLeft = padLeft
            self.padRight = padRight
        }

        /// Output height for an input of `height` rows.
        public func outputHeight(_ height: Int) -> Int {
            (height + padTop + padBottom - kernelHeight) / strideY + 1
        }

        /// Output width for an input of `width` columns.
        public func outputWidth(_ width: Int) -> Int {
            (width + padLeft + padRight - kernelWidth) / strideX + 1
        }
    }

    /// Cross-correlation of NHWC `input` `[batch, height, width, inChannels]` with an HWIO
    /// `kernel` `[kh, kw, inChannels, outChannels]` plus `bias` (`[outChannels]` or nil), into
    /// `output` `[batch, outH, outW, outChannels]`.
    ///
    /// The patches are unrolled (im2col) into `[batch*outH*outW, kh*kw*inChannels]`, whose
    /// rows are exactly the kernel's flattened HWIO rows, so one sgemm does the whole batch.
    /// A 1x1 stride-1 unpadded convolution skips the unrolling.
    public static func conv2dNHWC(
        input: UnsafePointer<Float>, batch: Int, height: Int, width: Int, inChannels: Int,
        kernel: UnsafePointer<Float>, bias: UnsafePointer<Float>?, outChannels: Int,
        window: Window2D, output: UnsafeMutablePointer<Float>
    ) {
        let oh = window.outputHeight(height), ow = window.outputWidth(width)
        let rows = batch * oh * ow
        let depth = window.kernelHeight * window.kernelWidth * inChannels
        // Shallow 8-channel convolutions (an image's first layer) skip im2col: see
        // `conv2dNHWCDirect8` for when that pays.
        if outChannels == 8, depth <= 27, window.strideX == 1, window.strideY == 1 {
            conv2dNHWCDirect8(input: input, batch: batch, height: height, width: width,
                              inChannels: inChannels, kernel: kernel, bias: bias, window: window,
                              output: output)
            return
        }
        if let bias {
            broadcastRows(bias, rows: rows, columns: outChannels, into: output)
        }
        let beta: Float = bias == nil ? 0 : 1
        let direct = window.kernelHeight == 1 && window.kernelWidth == 1 && window.strideY == 1
            && window.strideX == 1 && window.padTop == 0 && window.padLeft == 0
            && window.padBottom == 0 && window.padRight == 0
        if direct {
            gemm(m: rows, n: outChannels, k: inChannels, a: input, lda: inChannels, b: kernel,
                 ldb: outChannels, beta: beta, c: output, ldc: outChannels)
            return
        }
        let columns = UnsafeMutablePointer<Float>.allocate(capacity: rows * depth)
        defer { columns.deallocate() }
        im2colNHWC(input: input, batch: batch, height: height, width: width,
                   channels: inChannels, window: window, output: columns)
        gemm(m: rows, n: outChannels, k: depth, a: columns, lda: depth, b: kernel,
             ldb: outChannels, beta: beta, c: output, ldc: outChannels)
    }

    /// The 8-output-channel, stride-1 case of ``conv2dNHWC`` computed directly: each output
    /// pixel's 8 channels are two `SIMD4` accumulators, and every kernel tap adds
    /// `input value x 8 weights` to them, 4 pixels at a time where their windows are inside.
    ///
    /// Why, and only for shallow windows: mini-XCEPTION's first convolution (1 input channel,
    /// 3x3, 8 outputs) through im2col is an sgemm 8 columns wide and 9 deep, far too thin for
    /// OpenBLAS, after a copy as large as the product. Computed here it costs about 4 ms less per
    /// 22 faces (`video_model` median 19.5 against 23-29 ms, `emotiond bench --iterations 30`,
    /// runs alternated). For the second one (8 channels, depth 72) the sgemm is faster again
    /// (27-37 ms with this kernel), so ``conv2dNHWC`` uses it only up to depth 27.
    public static func conv2dNHWCDirect8(
        input: UnsafePointer<Float>, batch: Int, height: Int, width: Int, inChannels: Int,
        kernel: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        window: Window2D, output: UnsafeMutablePointer<Float>
    ) {
        precondition(window.strideX == 1 && window.strideY == 1, "direct kernel supports stride 1")
        let oh = window.outputHeight(height), ow = window.outputWidth(width)
        let kh = window.kernelHeight, kw = window.kernelWidth
        // HWIO rows of 8 output weights, one per (ky, kx, ci) tap.
        let weights = UnsafeRawPointer(kernel)
        let startLow = bias.map { UnsafeRawPointer($0).loadUnaligned(as: SIMD4<Float>.self) } ?? SIMD4<Float>()
        let startHigh = bias.map { UnsafeRawPointer($0).loadUnaligned(fromByteOffset: 16, as: SIMD4<Float>.self) } ?? SIMD4<Float>()
        let rowStride = width * inChannels
        for n in 0..<batch {
            let image = input + n * height * rowStride
            let result = UnsafeMutableRawPointer(output + n * oh * ow * 8)
            for oy in 0..<oh {
                let y0 = oy - window.padTop
                let kyFirst = max(0, -y0), kyLast = min(kh, height - y0)
                // Output columns done by 4-pixel blocks.
                var blocked = 0..<0
                // Blocks of 4 output pixels whose windows lie inside the image: each weight
                // pair loaded once serves 4 pixels, and the 8 accumulators are independent, so
                // the additions overlap instead of waiting on each other.
                if kyFirst == 0, kyLast == kh {
                    // Columns whose whole window is inside: padLeft ..< width + padLeft - kw + 1.
                    let first = min(ow, window.padLeft)
                    let end = max(first, min(ow, width + window.padLeft - kw + 1))
                    var blockStart = first
                    while blockStart + 4 <= end {
                        let x0 = blockStart - window.padLeft
                        var l0 = startLow, h0 = startHigh, l1 = startLow, h1 = startHigh
                        var l2 = startLow, h2 = startHigh, l3 = startLow, h3 = startHigh
                        for ky in 0..<kh {
                            let pixels = image + (y0 + ky) * rowStride + x0 * inChannels
                            var w = weights + ky * kw * inChannels * 32
                            for j in 0..<(kw * inChannels) {
                                let wl = w.loadUnaligned(as: SIMD4<Float>.self)
                                let wh = w.loadUnaligned(fromByteOffset: 16, as: SIMD4<Float>.self)
                                let x0v = SIMD4<Float>(repeating: pixels[j])
                                let x1v = SIMD4<Float>(repeating: pixels[j + inChannels])
                                let x2v = SIMD4<Float>(repeating: pixels[j + 2 * inChannels])
                                let x3v = SIMD4<Float>(repeating: pixels[j + 3 * inChannels])
                                l0 += x0v * wl; h0 += x0v * wh
                                l1 += x1v * wl; h1 += x1v * wh
                                l2 += x2v * wl; h2 += x2v * wh
                                l3 += x3v * wl; h3 += x3v * wh
                                w += 32
                            }
                        }
                        let cell = result + (oy * ow + blockStart) * 32
                        cell.storeBytes(of: l0, as: SIMD4<Float>.self)
                        cell.storeBytes(of: h0, toByteOffset: 16, as: SIMD4<Float>.self)
                        cell.storeBytes(of: l1, toByteOffset: 32, as: SIMD4<Float>.self)
                        cell.storeBytes(of: h1, toByteOffset: 48, as: SIMD4<Float>.self)
                        cell.storeBytes(of: l2, toByteOffset: 64, as: SIMD4<Float>.self)
                        cell.storeBytes(of: h2, toByteOffset: 80, as: SIMD4<Float>.self)
                        cell.storeBytes(of: l3, toByteOffset: 96, as: SIMD4<Float>.self)
                        cell.storeBytes(of: h3, toByteOffset: 112, as: SIMD4<Float>.self)
                        blockStart += 4
                    }
                    blocked = first..<blockStart
                }
                // Every pixel not covered by a block, one at a time (edges, padding, short rows).
                for ox in 0..<ow where !blocked.contains(ox) {
                    let x0 = ox - window.padLeft
                    let kxFirst = max(0, -x0), kxLast = min(kw, width - x0)
                    // Two SIMD4 halves: SSE's width, so this stays in registers on any x86-64.
                    var low = startLow, high = startHigh
                    if kyFirst < kyLast, kxFirst < kxLast {
                        for ky in kyFirst..<kyLast {
                            // The taps of one kernel row are contiguous in both the input row
                            // (kx, ci) and the kernel (ky, kx, ci).
                            let pixels = image + (y0 + ky) * rowStride + (x0 + kxFirst) * inChannels
                            var w = weights + (ky * kw + kxFirst) * inChannels * 32
                            for j in 0..<((kxLast - kxFirst) * inChannels) {
                                let x = SIMD4<Float>(repeating: pixels[j])
                                low += x * w.loadUnaligned(as: SIMD4<Float>.self)
                                high += x * w.loadUnaligned(fromByteOffset: 16, as: SIMD4<Float>.self)
                                w += 32
                            }
                        }
                    }
                    let cell = result + (oy * ow + ox) * 32
                    cell.storeBytes(of: low, as: SIMD4<Float>.self)
                    cell.storeBytes(of: high, toByteOffset: 16, as: SIMD4<Float>.self)
                }
            }
        }
    }

    /// Unrolls NHWC patches: row `(n, oy, ox)` holds the window's `[kh, kw, channels]` values,
    /// zeros where the window covers padding.
    public static func im2colNHWC(
        input: UnsafePointer<Float>, batch: Int, height: Int, width: Int, channels: Int,
        window: Window2D, output: UnsafeMutablePointer<Float>
    ) {
        let oh = window.outputHeight(height), ow = window.outputWidth(width)
        let kh = window.kernelHeight, kw = window.kernelWidth
        let rowLength = kh * kw * channels
        var row = output
        for n in 0..<batch {
            let image = input + n * height * width * channels
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var cell = row
                    for ky in 0..<kh {
                        let iy = oy * window.strideY + ky - window.padTop
                        for kx in 0..<kw {
                            let ix = ox * window.strideX + kx - window.padLeft
                            if iy >= 0, iy < height, ix >= 0, ix < width {
                                // A plain loop: channel counts here are small (1...128), where a
                                // memcpy call per cell costs more than the copy.
                                let source = image + (iy * width + ix) * channels
                                for c in 0..<channels { cell[c] = source[c] }
                            } else {
                                for c in 0..<channels { cell[c] = 0 }
                            }
                            cell += channels
                        }
                    }
                    row += rowLength
                }
            }
        }
    }

    /// Depthwise cross-correlation, stride 1, depth multiplier 1: each channel of NHWC `input`
    /// with its own `[kh, kw, channels]` filter (Keras `depthwise_kernel` without the trailing 1),
    /// zero padding from `window`. Output `[batch, outH, outW, channels]`.
    ///
    /// For one tap, a run of output pixels of a row reads a contiguous run of input pixels, so
    /// each tap's weights are tiled along a whole row once; the inner loop is then a long
    /// contiguous multiply-add (`out[j] += in[j] * tiled[j]`) that vectorises fully.
    public static func depthwiseConv2dNHWC(
        input: UnsafePointer<Float>, batch: Int, height: Int, width: Int, channels: Int,
        kernel: UnsafePointer<Float>, window: Window2D, output: UnsafeMutablePointer<Float>
    ) {
        precondition(window.strideX == 1 && window.strideY == 1, "depthwise kernel supports stride 1")
        let oh = window.outputHeight(height), ow = window.outputWidth(width)
        let taps = window.kernelHeight * window.kernelWidth
        let rowLength = ow * channels
        let tiled = UnsafeMutablePointer<Float>.allocate(capacity: taps * rowLength)
        defer { tiled.deallocate() }
        for t in 0..<taps {
            for ox in 0..<ow { (tiled + t * rowLength + ox * channels).update(from: kernel + t * channels, count: channels) }
        }
        output.update(repeating: 0, count: batch * oh * ow * channels)
        for n in 0..<batch {
            let image = input + n * height * width * channels
            let result = output + n * oh * ow * channels
            for oy in 0..<oh {
                let outRow = result + oy * rowLength
                for ky in 0..<window.kernelHeight {
                    let iy = oy + ky - window.padTop
                    guard iy >= 0, iy < height else { continue }
                    let inRow = image + iy * width * channels
                    for kx in 0..<window.kernelWidth {
                        // Output columns whose input column ox + kx - padLeft is inside the image.
                        let first = max(0, window.padLeft - kx)
                        let last = min(ow, width + window.padLeft - kx)
                        guard first < last else { continue }
                        let o = outRow + first * channels
                        let i = UnsafePointer(inRow + (first + kx - window.padLeft) * channels)
                        let w = UnsafePointer(tiled + (ky * window.kernelWidth + kx) * rowLength)
                        multiplyAdd(i, w, into: o, count: (last - first) * channels)
                    }
                }
            }
        }
    }

    /// `o[j] += a[j] * b[j]` for `j < count`.
    @inline(__always)
    static func multiplyAdd(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                            into o: UnsafeMutablePointer<Float>, count: Int) {
        for j in 0..<count { o[j] += a[j] * b[j] }
    }
}
