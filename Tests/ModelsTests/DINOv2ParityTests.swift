import Foundation
import Vision
import XCTest
@testable import Models

final class DINOv2ParityTests: XCTestCase {
    private func fixture() throws -> FacialWeights {
        try FacialWeights(url: FacialModelPaths.sharedModels("dinov2_vits14.fixture.safetensors"))
    }

    func testPositionTableInterpolationMatchesTorchBicubic() throws {
        let weights = try FacialWeights(url: FacialModelPaths.sharedModels(DINOv2Encoder.weightsFileName))
        let table = try weights.floats("embeddings.position_embeddings", shape: [1, 1370, 384])
        let fixture = try fixture()
        for (grid, name) in [(16, "expected_pos_embed_16x16"), (8, "expected_pos_embed_8x8")] {
            let resized = DINOv2PositionEmbedding.interpolate(table: table, sourceGrid: 37, width: 384,
                                                              gridHeight: grid, gridWidth: grid)
            assertClose(resized, try fixture.floats(name, shape: [1 + grid * grid, 384]), 1e-5, name)
        }
        // The native grid is returned unchanged.
        XCTAssertEqual(DINOv2PositionEmbedding.interpolate(table: table, sourceGrid: 37, width: 384,
                                                           gridHeight: 37, gridWidth: 37), table)
    }

    func testCubicKernelIsKeysWithAMinusThreeQuarters() {
        XCTAssertEqual(DINOv2PositionEmbedding.cubicWeight(0), 1)
        XCTAssertEqual(DINOv2PositionEmbedding.cubicWeight(1), 0, accuracy: 1e-12)
        XCTAssertEqual(DINOv2PositionEmbedding.cubicWeight(2), 0)
        XCTAssertEqual(DINOv2PositionEmbedding.cubicWeight(0.5), 0.59375, accuracy: 1e-12)
        XCTAssertEqual(DINOv2PositionEmbedding.cubicWeight(1.5), -0.09375, accuracy: 1e-12)
        // Taps of any fractional position sum to one.
        for tap in DINOv2PositionEmbedding.taps(input: 37, output: 16) {
            XCTAssertEqual(tap.weights.reduce(0, +), 1, accuracy: 1e-12)
        }
    }

    func testEncoderMatchesTheReferenceAt224() throws {
        let fixture = try fixture()
        let encoder = try DINOv2Encoder(weightsURL: FacialModelPaths.sharedModels(DINOv2Encoder.weightsFileName), inputSize: 224)
        let image = try RGBImage(width: 224, height: 224, pixels: fixture.bytes("input_rgb_u8"))
        let start = Date()
        let hidden = try encoder.lastHiddenState(images: [image])
        print("DINOv2 224 forward: \(Int(Date().timeIntervalSince(start) * 1000)) ms (debug build)")
        assertClose(hidden, try fixture.floats("expected_last_hidden_state", shape: [257, 384]), 1e-3, "all tokens")
        let embedding = try XCTUnwrap(encoder.encode(images: [image]).first)
        assertClose(embedding.cls, try fixture.floats("expected_cls"), 1e-4, "CLS")
        assertClose(embedding.patchMean, try fixture.floats("expected_patch_mean"), 1e-4, "patch mean")
    }

    func testEncoderMatchesTheReferenceAt112AndBatchesImages() throws {
        let fixture = try fixture()
        let encoder = try DINOv2Encoder(weightsURL: FacialModelPaths.sharedModels(DINOv2Encoder.weightsFileName), inputSize: 112)
        XCTAssertEqual(encoder.tokens, 65)
        let face = try RGBImage(width: 112, height: 112, pixels: fixture.bytes("input112_rgb_u8"))
        var flipped = [UInt8](repeating: 0, count: face.pixels.count)
        for y in 0..<112 {
            for x in 0..<112 {
                let src: Int = (y * 112 + 111 - x) * 3
                let dst: Int = (y * 112 + x) * 3
                for c in 0..<3 { flipped[dst + c] = face.pixels[src + c] }
            }
        }
        let mirrored = try RGBImage(width: 112, height: 112, pixels: flipped)
        let embeddings = try encoder.encode(images: [face, mirrored, face])
        XCTAssertEqual(embeddings.count, 3)
        assertClose(embeddings[0].cls, try fixture.floats("expected112_cls"), 1e-4, "CLS 112")
        assertClose(embeddings[0].patchMean, try fixture.floats("expected112_patch_mean"), 1e-4, "patch mean 112")
        // Images in a batch do not leak into each other.
        assertClose(embeddings[2].cls, embeddings[0].cls, 1e-5, "same image twice")
        XCTAssertGreaterThan(zip(embeddings[1].cls, embeddings[0].cls).map { abs($0 - $1) }.max()!, 1e-2)

        // A clip matrix: frames without a face borrow the nearest face (earlier on ties).
        let matrix = try XCTUnwrap(encoder.clipMatrix(crops: [nil, face, nil, mirrored, nil, nil]))
        XCTAssertEqual(matrix.count, 6 * 384)
        let rows = (0..<6).map { Array(matrix[$0 * 384..<($0 + 1) * 384]) }
        for (row, source) in zip(rows, [0, 0, 0, 1, 1, 1]) {
            assertClose(row, embeddings[source].cls, 1e-4, "clip row from image \(source)")
        }
        let means = try XCTUnwrap(encoder.clipMatrix(crops: [face], pooling: .patchMean))
        assertClose(means, embeddings[0].patchMean, 1e-4, "patch-mean pooling")
        XCTAssertNil(try encoder.clipMatrix(crops: [nil, nil]))
    }

    func testBadSizesAreTypedErrors() throws {
        let url = try FacialModelPaths.sharedModels(DINOv2Encoder.weightsFileName)
        XCTAssertThrowsError(try DINOv2Encoder(weightsURL: url, inputSize: 100)) {
            XCTAssertEqual(($0 as? FacialModelError)?.code, "model.invalid_input")
        }
        XCTAssertThrowsError(try DINOv2Encoder(weightsURL: FacialModelPaths.shippedModels
            .appendingPathComponent(MiniXceptionModel.weightsFileName), inputSize: 112)) {
            XCTAssertEqual(($0 as? FacialModelError)?.code, "model.architecture_mismatch")
        }
    }

    private func assertClose(_ a: [Float], _ b: [Float], _ tolerance: Float, _ what: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        print("\(what): max abs error \(worst)")
        XCTAssertLessThanOrEqual(worst, tolerance, "\(what): max abs error \(worst)", file: file, line: line)
    }
}
