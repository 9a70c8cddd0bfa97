import XCTest
@testable import NN

/// The direct 8-channel convolution must give what the im2col + sgemm path gives, with and
/// without padding and bias, for the channel counts mini-XCEPTION uses and odd ones (called
/// directly, since `conv2dNHWC` routes only shallow windows to it).
final class InferenceConvolutionTests: XCTestCase {
    func testDirect8MatchesIm2colProduct() {
        var rng = SystemRandomNumberGenerator()
        let cases: [(h: Int, w: Int, c: Int, window: InferenceKernels.Window2D, bias: Bool)] = [
            (64, 64, 1, .init(kernelHeight: 3, kernelWidth: 3), false),
            (62, 62, 8, .init(kernelHeight: 3, kernelWidth: 3), true),
            (9, 7, 3, .init(kernelHeight: 3, kernelWidth: 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1), true),
            (5, 6, 2, .init(kernelHeight: 5, kernelWidth: 3, padTop: 2, padBottom: 2, padLeft: 0, padRight: 1), false),
            (4, 4, 16, .init(kernelHeight: 1, kernelWidth: 1), true),
            (2, 2, 1, .init(kernelHeight: 3, kernelWidth: 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1), true),
        ]
        for (h, w, c, window, withBias) in cases {
            let batch = 3
            let input = (0..<(batch * h * w * c)).map { _ in Float.random(in: -1...1, using: &rng) }
            let kernel = (0..<(window.kernelHeight * window.kernelWidth * c * 8)).map { _ in Float.random(in: -1...1, using: &rng) }
            let bias = withBias ? (0..<8).map { _ in Float.random(in: -1...1, using: &rng) } : nil
            let oh = window.outputHeight(h), ow = window.outputWidth(w)
            let rows = batch * oh * ow, depth = window.kernelHeight * window.kernelWidth * c

            // Reference: unroll, then one product, then the bias.
            var columns = [Float](repeating: 0, count: rows * depth)
            var expected = [Float](repeating: 0, count: rows * 8)
            input.withUnsafeBufferPointer { x in columns.withUnsafeMutableBufferPointer { col in
                InferenceKernels.im2colNHWC(input: x.baseAddress!, batch: batch, height: h, width: w, channels: c,
                                            window: window, output: col.baseAddress!)
            } }
            columns.withUnsafeBufferPointer { a in kernel.withUnsafeBufferPointer { b in expected.withUnsafeMutableBufferPointer { out in
                InferenceKernels.gemm(m: rows, n: 8, k: depth, a: a.baseAddress!, lda: depth, b: b.baseAddress!, ldb: 8,
                                      c: out.baseAddress!, ldc: 8)
            } } }
            if let bias { for r in 0..<rows { for o in 0..<8 { expected[r * 8 + o] += bias[o] } } }

            var direct = [Float](repeating: .nan, count: rows * 8)
            let biasPointer = bias.map { b -> UnsafeMutablePointer<Float> in
                let p = UnsafeMutablePointer<Float>.allocate(capacity: 8)
                p.initialize(from: b, count: 8)
                return p
            }
            defer { biasPointer?.deallocate() }
            input.withUnsafeBufferPointer { x in kernel.withUnsafeBufferPointer { k in direct.withUnsafeMutableBufferPointer { out in
                InferenceKernels.conv2dNHWCDirect8(input: x.baseAddress!, batch: batch, height: h, width: w, inChannels: c,
                                                   kernel: k.baseAddress!, bias: biasPointer.map { UnsafePointer($0) },
                                                   window: window, output: out.baseAddress!)
            } } }
            for i in expected.indices {
                XCTAssertEqual(direct[i], expected[i], accuracy: 1e-4 * Float(depth), "\(h)x\(w)x\(c) \(window) at \(i)")
            }
        }
    }
}
