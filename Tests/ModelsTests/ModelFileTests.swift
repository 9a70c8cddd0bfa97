import Foundation
import XCTest
import NN
@testable import Models

final class ModelFileTests: XCTestCase {
    static let featureConfig = #"{"sample_rate": 16000, "n_mfcc": 40, "hop_length": 512, "features": ["zcr", "rms", "mfcc"]}"#

    private var tempDir: URL!

    override func setUpWithError() throws {
        tempDir = FileManager.default.temporaryDirectory.appendingPathComponent("modelfile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tempDir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tempDir) }

    /// A compact net with non-trivial weights, running statistics and standardisation.
    private func trainedCompactNet(seed: UInt64 = 1) throws -> AudioEmotionNet {
        let net = try AudioEmotionNet(configuration: .init(architecture: .compact, featureCount: 6, inputFrames: 16), seed: seed)
        var rng = SeededRandom(seed: seed)
        var x = Tensor(zeros: [8, 6, 16])
        for i in x.data.indices { x.data[i] = rng.nextGaussian() * 3 + 1 }
        try net.fitFeatureStandardization(x)
        try net.trainStep(features: x, labels: [0, 1, 2, 3, 4, 5, 6, 7], optimizer: Adam(learningRate: 0.01))
        return net
    }

    private let metadata = AudioModelMetadata(
        modelID: "audio-compact-test", featureConfig: ModelFileTests.featureConfig,
        trainingDataHash: "sha256:abc", trainingProtocol: #"{"split": "actor-6-fold"}"#,
        accuracy: #"{"accuracy": 0.5}"#, extra: ["created_by": "ModelFileTests"])

    private func input(seed: UInt64) -> Tensor {
        var rng = SeededRandom(seed: seed)
        var x = Tensor(zeros: [3, 6, 20])
        for i in x.data.indices { x.data[i] = rng.nextGaussian() * 3 }
        return x
    }

    /// Re-encodes a saved model with edited metadata.
    private func edited(_ data: Data, metadata edit: (inout [String: String]) -> Void) throws -> Data {
        let file = try SafeTensors(data: data)
        var meta = file.metadata
        edit(&meta)
        var tensors: [String: Tensor] = [:]
        for name in file.names { tensors[name] = try file.tensor(name) }
        return try SafeTensors.encode(tensors, metadata: meta)
    }

    /// Re-encodes a saved model with edited tensors.
    private func edited(_ data: Data, tensors edit: (inout [String: Tensor]) -> Void) throws -> Data {
        let file = try SafeTensors(data: data)
        var tensors: [String: Tensor] = [:]
        for name in file.names { tensors[name] = try file.tensor(name) }
        edit(&tensors)
        return try SafeTensors.encode(tensors, metadata: file.metadata)
    }

    private func assertLoadFails(_ data: Data, code: ModelError.Code, mentioning words: [String],
                                 expectedArchitecture: AudioEmotionNet.Architecture? = nil,
                                 featureConfig: String = ModelFileTests.featureConfig,
                                 file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ModelFile.loadAudioModel(data: data, expectedFeatureConfig: featureConfig,
                                                          expectedArchitecture: expectedArchitecture),
                             file: file, line: line) { error in
            guard let e = error as? ModelError else { return XCTFail("untyped error \(error)", file: file, line: line) }
            XCTAssertEqual(e.code, code, e.message, file: file, line: line)
            for w in words { XCTAssert(e.message.contains(w), "'\(e.message)' should mention '\(w)'", file: file, line: line) }
        }
    }

    // MARK: Round trip

    func testSaveThenLoadGivesIdenticalPredictionsAndMetadata() throws {
        let net = try trainedCompactNet()
        let url = tempDir.appendingPathComponent("audio.safetensors")
        try net.save(to: url, metadata: metadata)
        let loaded = try AudioEmotionNet.load(from: url, expectedFeatureConfig: Self.featureConfig)
        XCTAssertEqual(loaded.configuration, net.configuration)
        XCTAssertEqual(loaded.metadata, metadata)
        XCTAssertEqual(try loaded.predict(features: input(seed: 3)), try net.predict(features: input(seed: 3)))
        XCTAssertEqual(loaded.namedTensors.map(\.parameter.value), net.namedTensors.map(\.parameter.value))
    }

    func testFileIsSelfDescribing() throws {
        let file = try SafeTensors(data: ModelFile.audioModelData(try trainedCompactNet(), metadata: metadata))
        XCTAssertEqual(file.metadata["format"], "emotiond-audio-v1")
        XCTAssertEqual(file.metadata["arch"], "compact")
        XCTAssertEqual(file.metadata["labels"], #"["neutral","calm","happy","sad","angry","fearful","disgust","surprised"]"#)
        XCTAssertEqual(file.metadata["feature_config"], Self.featureConfig)
        XCTAssertEqual(file.metadata["input_frames"], "16")
        XCTAssertEqual(file.metadata["feature_count"], "6")
        XCTAssertEqual(file.metadata["model_id"], "audio-compact-test")
        XCTAssertEqual(file.metadata["training_data_hash"], "sha256:abc")
        XCTAssertEqual(file.metadata["protocol"], #"{"split": "actor-6-fold"}"#)
        XCTAssertEqual(file.metadata["accuracy"], #"{"accuracy": 0.5}"#)
        XCTAssertEqual(file.metadata["created_by"], "ModelFileTests")
        XCTAssert(file.names.contains("features.mean") && file.names.contains("layers.1.running_var"))
        XCTAssertEqual(try file.entry("layers.0.weight").shape, [64, 6, 5])
    }

    func testSameModelGivesByteIdenticalFiles() throws {
        let a = try ModelFile.audioModelData(try trainedCompactNet(seed: 5), metadata: metadata)
        let b = try ModelFile.audioModelData(try trainedCompactNet(seed: 5), metadata: metadata)
        XCTAssertEqual(a, b)
    }

    func testPaperModelRoundTrips() throws {
        let net = try AudioEmotionNet(configuration: .init(architecture: .paper, featureCount: 3, inputFrames: 32), seed: 2)
        let data = try ModelFile.audioModelData(net, metadata: metadata)
        let loaded = try ModelFile.loadAudioModel(data: data, expectedFeatureConfig: Self.featureConfig, expectedArchitecture: .paper)
        var x = Tensor(zeros: [1, 3, 32]); for i in x.data.indices { x.data[i] = Float(i % 7) - 3 }
        XCTAssertEqual(try loaded.predict(features: x), try net.predict(features: x))
    }

    // MARK: Mismatches

    func testFeatureConfigIsComparedAsJSON() throws {
        let data = try ModelFile.audioModelData(try trainedCompactNet(), metadata: metadata)
        let reordered = #"{"features":["zcr","rms","mfcc"],"hop_length":512,"n_mfcc":40,"sample_rate":16000}"#
        XCTAssertNoThrow(try ModelFile.loadAudioModel(data: data, expectedFeatureConfig: reordered))
        let other = #"{"sample_rate": 16000, "n_mfcc": 13, "hop_length": 512, "features": ["zcr", "rms", "mfcc"], "fmax": 8000}"#
        assertLoadFails(data, code: .featureConfigMismatch,
                        mentioning: ["n_mfcc: file 40, expected 13", "fmax: missing in file"], featureConfig: other)
    }

    func testArchitectureMismatchIsExplained() throws {
        let data = try ModelFile.audioModelData(try trainedCompactNet(), metadata: metadata)
        assertLoadFails(data, code: .architectureMismatch, mentioning: ["compact", "paper"], expectedArchitecture: .paper)
        assertLoadFails(try edited(data, metadata: { $0["arch"] = "transformer" }), code: .architectureMismatch,
                        mentioning: ["transformer", "paper, compact"])
    }

    func testLabelOrderMismatchIsExplained() throws {
        let data = try ModelFile.audioModelData(try trainedCompactNet(), metadata: metadata)
        let swapped = try edited(data, metadata: {
            $0["labels"] = #"["neutral","happy","calm","sad","angry","fearful","disgust","surprised"]"#
        })
        assertLoadFails(swapped, code: .labelMismatch, mentioning: ["position 1", "'happy'", "'calm'"])
        let seven = try edited(data, metadata: {
            $0["labels"] = #"["angry","disgust","fear","happy","sad","surprise","neutral"]"#
        })
        assertLoadFails(seven, code: .labelMismatch, mentioning: ["7 labels"])
        assertLoadFails(try edited(data, metadata: { $0["labels"] = "neutral,calm" }), code: .invalidMetadata, mentioning: ["labels"])
    }

    func testFormatAndMetadataProblemsAreTypedErrors() throws {
        let data = try ModelFile.audioModelData(try trainedCompactNet(), metadata: metadata)
        assertLoadFails(try edited(data, metadata: { $0["format"] = "emotiond-audio-v2" }), code: .formatMismatch,
                        mentioning: ["emotiond-audio-v2", "emotiond-audio-v1"])
        assertLoadFails(try edited(data, metadata: { $0 = [:] }), code: .formatMismatch, mentioning: ["not an emotiond model"])
        assertLoadFails(try edited(data, metadata: { $0["input_frames"] = "many" }), code: .invalidMetadata, mentioning: ["input_frames"])
        assertLoadFails(try edited(data, metadata: { $0["input_frames"] = "2" }), code: .invalidMetadata, mentioning: ["input frames 2"])
        assertLoadFails(try edited(data, metadata: { $0["feature_config"] = nil }), code: .invalidMetadata, mentioning: ["feature_config"])
        assertLoadFails(data.prefix(data.count / 2), code: .unreadable, mentioning: ["truncated"])
        assertLoadFails(Data("not a model".utf8), code: .unreadable, mentioning: [])
    }

    func testTensorsThatDoNotFitTheArchitectureAreRejected() throws {
        let data = try ModelFile.audioModelData(try trainedCompactNet(), metadata: metadata)
        assertLoadFails(try edited(data, metadata: { $0["feature_count"] = "7" }), code: .tensorMismatch,
                        mentioning: ["features.mean", "[6]", "[7]"])
        assertLoadFails(try edited(data, tensors: { $0["layers.0.bias"] = nil }), code: .tensorMismatch,
                        mentioning: ["layers.0.bias", "missing"])
        assertLoadFails(try edited(data, tensors: { $0["layers.99.weight"] = Tensor(zeros: [1]) }), code: .tensorMismatch,
                        mentioning: ["unexpected", "layers.99.weight"])
        assertLoadFails(try edited(data, tensors: { $0["layers.0.bias"]!.data[0] = .nan }), code: .tensorMismatch,
                        mentioning: ["NaN"])
    }

    func testMissingFileNamesThePath() {
        let url = tempDir.appendingPathComponent("absent.safetensors")
        XCTAssertThrowsError(try AudioEmotionNet.load(from: url, expectedFeatureConfig: "{}")) {
            let e = $0 as? ModelError
            XCTAssertEqual(e?.code, .unreadable)
            XCTAssertEqual(e?.path, url.path)
        }
    }

    func testForeignSafetensorsFileIsRefused() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("shared/models/fer_mini_xception.f32.safetensors")
        guard FileManager.default.fileExists(atPath: url.path) else { throw XCTSkip("\(url.path) not present") }
        XCTAssertThrowsError(try AudioEmotionNet.load(from: url, expectedFeatureConfig: Self.featureConfig)) {
            XCTAssertEqual(($0 as? ModelError)?.code, .formatMismatch)
            XCTAssertEqual(($0 as? ModelError)?.path, url.path)
        }
    }

    func testReservedMetadataKeysCannotBeOverriddenByExtras() throws {
        var m = metadata
        m.extra["arch"] = "paper"
        XCTAssertThrowsError(try ModelFile.audioModelData(try trainedCompactNet(), metadata: m)) {
            XCTAssertEqual(($0 as? ModelError)?.code, .invalidMetadata)
        }
    }
}
