import Foundation
import NN
import XCTest
@testable import Models

final class VideoHeadFileTests: XCTestCase {
    private let geometry = VideoHead.Geometry(frames: 22, embeddingWidth: 40)
    private var settings: VideoHeadSettings { VideoHeadSettings(inputSize: 112, frames: 22, embeddingWidth: 40) }

    private func clips(_ count: Int) -> [[Float]] {
        (0..<count).map { c in (0..<geometry.valuesPerClip).map { Float(sin(Double($0 * (c + 3)) * 0.11)) } }
    }

    func testSaveAndLoadGiveIdenticalOutputsAndMetadata() throws {
        let head = try VideoHead(geometry: geometry, seed: 5)
        // Move every parameter off its initial value so a load that kept defaults would show.
        for (_, p) in head.namedTensors { p.value.data = p.value.data.enumerated().map { $1 + Float($0 % 7) * 0.01 } }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("video-head-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try head.save(to: url, settings: settings, provenance: ["model_id": "test-head"])

        let loaded = try VideoHead.load(from: url, expecting: settings)
        XCTAssertEqual(loaded.settings, settings)
        XCTAssertEqual(loaded.head.geometry, geometry)
        XCTAssertEqual(loaded.metadata["format"], "emotiond-video-head-v1")
        XCTAssertEqual(loaded.metadata["arch"], VideoHead.architectureName)
        XCTAssertEqual(loaded.metadata["encoder"], "dinov2_vits14")
        XCTAssertEqual(loaded.metadata["input_size"], "112")
        XCTAssertEqual(loaded.metadata["frames"], "22")
        XCTAssertEqual(loaded.metadata["pooling"], "cls")
        XCTAssertEqual(loaded.metadata["model_id"], "test-head")
        XCTAssertEqual(loaded.metadata["labels"], #"["neutral","calm","happy","sad","angry","fearful","disgust","surprised"]"#)
        XCTAssertEqual(loaded.head.parameters, head.parameters)
        let input = clips(3)
        XCTAssertEqual(try loaded.head.predict(clips: input), try head.predict(clips: input))
        // Same tensors and metadata give the same bytes.
        XCTAssertEqual(try loaded.head.fileData(settings: settings, provenance: ["model_id": "test-head"]),
                       try Data(contentsOf: url))
    }

    func testMismatchedFilesAreTypedErrors() throws {
        let head = try VideoHead(geometry: geometry, seed: 2)
        let good = try head.fileData(settings: settings)
        let file = try SafeTensors(data: good)
        let tensors = Dictionary(uniqueKeysWithValues: try file.names.map { ($0, try file.tensor($0)) })

        func assertCode(_ code: ModelError.Code, metadata edit: (inout [String: String]) -> Void = { _ in },
                        tensors tensorEdit: (inout [String: Tensor]) -> Void = { _ in },
                        expecting expected: VideoHeadSettings? = nil, line: UInt = #line) throws {
            var meta = file.metadata
            edit(&meta)
            var t = tensors
            tensorEdit(&t)
            let data = try SafeTensors.encode(t, metadata: meta)
            XCTAssertThrowsError(try VideoHead.load(data: data, expecting: expected), line: line) {
                XCTAssertEqual(($0 as? ModelError)?.code, code, "\($0)", line: line)
            }
        }
        try assertCode(.formatMismatch, metadata: { $0["format"] = "emotiond-audio-v1" })
        try assertCode(.formatMismatch, metadata: { $0["format"] = nil })
        try assertCode(.architectureMismatch, metadata: { $0["arch"] = "transformer" })
        try assertCode(.labelMismatch, metadata: {
            $0["labels"] = #"["calm","neutral","happy","sad","angry","fearful","disgust","surprised"]"#
        })
        try assertCode(.invalidMetadata, metadata: { $0["labels"] = "happy" })
        try assertCode(.invalidMetadata, metadata: { $0["frames"] = "twenty-two" })
        try assertCode(.invalidMetadata, metadata: { $0["frames"] = "4" })
        try assertCode(.invalidMetadata, metadata: { $0["pooling"] = "max" })
        try assertCode(.invalidMetadata, metadata: { $0["encoder"] = nil })
        // Embedding settings other than the caller's.
        var other = settings
        other.inputSize = 224
        try assertCode(.featureConfigMismatch, expecting: other)
        other = settings
        other.pooling = .patchMean
        try assertCode(.featureConfigMismatch, expecting: other)
        // Metadata that says 384 wide while the tensors were made for 40.
        try assertCode(.tensorMismatch, metadata: { $0["embedding_width"] = "384" })
        try assertCode(.tensorMismatch, tensors: { $0["fc3.bias"] = nil })
        try assertCode(.tensorMismatch, tensors: { $0["input.std"] = nil })
        try assertCode(.tensorMismatch, tensors: { $0["extra.weight"] = Tensor(zeros: [2]) })
        try assertCode(.tensorMismatch, tensors: { $0["fc2.bias"] = Tensor(shape: [64], repeating: .nan) })
        // Not safetensors at all, or cut short.
        for bad in [Data(), Data("hello".utf8), good.prefix(good.count - 3)] {
            XCTAssertThrowsError(try VideoHead.load(data: bad)) { XCTAssertEqual(($0 as? ModelError)?.code, .unreadable) }
        }
        XCTAssertThrowsError(try VideoHead.load(from: URL(fileURLWithPath: "/nonexistent/head.safetensors"))) {
            XCTAssertEqual(($0 as? ModelError)?.code, .unreadable)
        }
    }

    func testSavingRefusesInconsistentSettingsAndReservedKeys() throws {
        let head = try VideoHead(geometry: geometry, seed: 2)
        XCTAssertThrowsError(try head.fileData(settings: VideoHeadSettings())) {
            XCTAssertEqual(($0 as? ModelError)?.code, .invalidMetadata)
        }
        XCTAssertThrowsError(try head.fileData(settings: settings, provenance: ["frames": "22"])) {
            XCTAssertEqual(($0 as? ModelError)?.code, .invalidMetadata)
        }
    }

    func testNamedParametersAreTheNetworksOwnStorage() throws {
        let head = try VideoHead(geometry: geometry, seed: 9)
        XCTAssertEqual(head.namedParameters.map(\.name),
                       ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias",
                        "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"])
        for (name, shape) in VideoHead.parameterShapes(geometry) { XCTAssertEqual(head.parameters[name]?.shape, shape, name) }
        XCTAssertTrue(head.namedParameters.map(\.parameter).elementsEqual(head.network.parameters) { $0 === $1 })
        XCTAssertEqual(try VideoHead(geometry: .init(), seed: 1).parameterCount, 3_107_912)
    }

    func testInputStandardizationIsFittedPerColumnAndSaved() throws {
        let head = try VideoHead(geometry: geometry, seed: 4)
        // Columns with very different offsets and scales, as DINOv2 CLS columns have.
        let raw = clips(5).map { clip in clip.enumerated().map { i, v in v * Float(1 + i % 40) + Float(i % 40) - 20 } }
        try head.fitInputStandardization(raw)
        let x = try head.batch(raw)
        let e = geometry.embeddingWidth, rows = x.count / e
        for col in [0, 7, 39] {
            let column = (0..<rows).map { Double(x.data[$0 * e + col]) }
            let mean = column.reduce(0, +) / Double(rows)
            let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(rows)
            XCTAssertEqual(mean, 0, accuracy: 1e-4)
            XCTAssertEqual(variance, 1, accuracy: 1e-3)
        }
        let loaded = try VideoHead.load(data: try head.fileData(settings: settings)).head
        XCTAssertEqual(loaded.inputMean.value, head.inputMean.value)
        XCTAssertEqual(loaded.inputStd.value, head.inputStd.value)
        XCTAssertEqual(try loaded.predict(clips: raw), try head.predict(clips: raw))
        XCTAssertThrowsError(try head.fitInputStandardization([])) {
            XCTAssertEqual(($0 as? FacialModelError)?.code, "model.invalid_input")
        }
    }
}
