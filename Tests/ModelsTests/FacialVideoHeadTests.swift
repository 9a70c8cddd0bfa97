import NN
import XCTest
@testable import Models

final class FacialVideoHeadTests: XCTestCase {
    func testFlattenWidthReproducesThePapersFortyEightThousandSixHundredForty() {
        XCTAssertEqual(VideoHead.Geometry(frames: 22, embeddingWidth: 768).flattenedWidth, 48_640)
        XCTAssertEqual(VideoHead.Geometry(frames: 22, embeddingWidth: 384).flattenedWidth, 24_064)
    }

    func testADINOv2SizedHeadRunsOnATwentyTwoFrameClip() throws {
        let head = try VideoHead(geometry: .init(frames: 22, embeddingWidth: 384), seed: 3)
        XCTAssertEqual(head.parameters["fc1.weight"]?.shape, [128, 24_064])
        let clip: [Float] = (0..<22 * 384).map { (i: Int) -> Float in Float((i * 37) % 101) / 50 - 1 }
        let probabilities = try XCTUnwrap(head.predict(clips: [clip, clip]).first)
        XCTAssertEqual(probabilities.count, 8)
        XCTAssertEqual(probabilities.reduce(0, +), 1, accuracy: 1e-5)
    }

    func testForwardMatchesANaiveNCHWReference() throws {
        let geometry = VideoHead.Geometry(frames: 13, embeddingWidth: 21)
        var parameters = try VideoHead(geometry: geometry, seed: 11).parameters
        // Non-zero biases so their handling is checked too.
        for name in ["conv1.bias", "conv2.bias", "fc1.bias", "fc2.bias", "fc3.bias"] {
            let n = parameters[name]!.count
            parameters[name] = Tensor(shape: [n], data: (0..<n).map { Float($0 % 5) * 0.05 - 0.1 })
        }
        let head = try VideoHead(geometry: geometry, parameters: parameters)
        let clips = (0..<3).map { c in (0..<13 * 21).map { Float(sin(Double($0 * (c + 2)) * 0.37)) } }
        let out = try head.predict(clips: clips)
        XCTAssertEqual(out.count, 3)
        for (clip, probabilities) in zip(clips, out) {
            let expected = naiveForward(clip, frames: 13, width: 21, parameters)
            XCTAssertEqual(probabilities.reduce(0, +), 1, accuracy: 1e-5)
            for (a, b) in zip(probabilities, expected) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        }
    }

    func testBadInputsAreTypedErrors() throws {
        let geometry = VideoHead.Geometry(frames: 22, embeddingWidth: 40)
        let head = try VideoHead(geometry: geometry, seed: 1)
        XCTAssertThrowsError(try head.predict(clips: [[Float](repeating: 0, count: 10)])) {
            XCTAssertEqual(($0 as? FacialModelError)?.code, "model.invalid_input")
        }
        XCTAssertEqual(try head.predict(clips: []), [])
        var parameters = head.parameters
        parameters["fc1.weight"] = Tensor(zeros: [128, 10])
        XCTAssertThrowsError(try VideoHead(geometry: geometry, parameters: parameters)) {
            XCTAssertEqual(($0 as? FacialModelError)?.code, "model.tensor_mismatch")
        }
        XCTAssertThrowsError(try VideoHead(geometry: .init(frames: 4, embeddingWidth: 40), seed: 1))
    }

    /// Straightforward NCHW loops, independent of the NHWC kernels.
    private func naiveForward(_ x: [Float], frames: Int, width: Int, _ p: [String: Tensor]) -> [Float] {
        func conv(_ input: [[[Float]]], _ name: String) -> [[[Float]]] {
            let w = p[name + ".weight"]!, b = p[name + ".bias"]!.data
            let (o, i) = (w.shape[0], w.shape[1])
            let h = input[0].count - 2, wd = input[0][0].count - 2
            var out = [[[Float]]](repeating: [[Float]](repeating: [Float](repeating: 0, count: wd), count: h), count: o)
            for oc in 0..<o {
                for y in 0..<h {
                    for xx in 0..<wd {
                        var s: Float = b[oc]
                        for ic in 0..<i {
                            for ky in 0..<3 {
                                for kx in 0..<3 {
                                    let index: Int = ((oc * i + ic) * 3 + ky) * 3 + kx
                                    s += w.data[index] * input[ic][y + ky][xx + kx]
                                }
                            }
                        }
                        out[oc][y][xx] = max(s, 0)
                    }
                }
            }
            return out
        }
        func pool(_ input: [[[Float]]]) -> [[[Float]]] {
            input.map { plane in
                var out = [[Float]](repeating: [Float](repeating: 0, count: plane[0].count / 2), count: plane.count / 2)
                for y in 0..<plane.count / 2 {
                    for xx in 0..<plane[0].count / 2 {
                        let top = max(plane[2 * y][2 * xx], plane[2 * y][2 * xx + 1])
                        let bottom = max(plane[2 * y + 1][2 * xx], plane[2 * y + 1][2 * xx + 1])
                        out[y][xx] = max(top, bottom)
                    }
                }
                return out
            }
        }
        func dense(_ v: [Float], _ name: String, relu: Bool) -> [Float] {
            let w = p[name + ".weight"]!, b = p[name + ".bias"]!.data
            return (0..<w.shape[0]).map { o in
                var s = b[o]
                for i in 0..<w.shape[1] { s += w.data[o * w.shape[1] + i] * v[i] }
                return relu ? max(s, 0) : s
            }
        }
        let image = [(0..<frames).map { y in Array(x[y * width..<(y + 1) * width]) }]
        let features = pool(conv(pool(conv(image, "conv1")), "conv2")).flatMap { $0.flatMap { $0 } }
        let logits = dense(dense(dense(features, "fc1", relu: true), "fc2", relu: true), "fc3", relu: false)
        let peak = logits.max()!
        let e = logits.map { expf($0 - peak) }
        return e.map { $0 / e.reduce(0, +) }
    }
}
