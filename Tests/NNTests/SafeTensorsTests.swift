import Foundation
import XCTest
@testable import NN

final class SafeTensorsTests: XCTestCase {
    /// `../shared/models` relative to the package root, resolved from this file's path.
    static let sharedModels = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/models")

    private func sharedFile(_ name: String) throws -> URL {
        let url = Self.sharedModels.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("\(url.path) not present")
        }
        return url
    }

    // MARK: Round trips

    func testF32RoundTripKeepsValuesShapesAndMetadata() throws {
        let a = Tensor(shape: [2, 3], data: [1, -2, 3.5, 0, 1e-8, -7])
        let b = Tensor(shape: [4], data: [9, 8, 7, 6])
        let meta = ["format": "test", "quote\"key": "line\nbreak \\ and \u{1}"]
        let data = try SafeTensors.encode(["b": b, "a": a], metadata: meta)
        let file = try SafeTensors(data: data)
        XCTAssertEqual(file.names, ["a", "b"])
        XCTAssertEqual(try file.tensor("a"), a)
        XCTAssertEqual(try file.tensor("b"), b)
        XCTAssertEqual(file.metadata, meta)
        XCTAssertEqual(file.entries["a"]?.dtype, .f32)
    }

    func testWriterIsDeterministicSortedAndAligned() throws {
        let t = ["z": Tensor(shape: [1], data: [1]), "m": Tensor(shape: [2], data: [2, 3]),
                 "a": Tensor(shape: [1, 1], data: [4])]
        let d1 = try SafeTensors.encode(t, metadata: ["k2": "v", "k1": "v"])
        let d2 = try SafeTensors.encode(t, metadata: ["k1": "v", "k2": "v"])
        XCTAssertEqual(d1, d2)
        let headerLength = d1.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual(headerLength % 8, 0, "header padded to 8 bytes")
        let header = String(decoding: d1[8..<(8 + headerLength)], as: UTF8.self)
        let order = ["__metadata__", "\"a\"", "\"m\"", "\"z\""].map { header.range(of: $0)!.lowerBound }
        XCTAssertEqual(order, order.sorted(), "metadata first, then names in sorted order")
        XCTAssert(header.range(of: "\"k1\"")!.lowerBound < header.range(of: "\"k2\"")!.lowerBound)
    }

    func testF16WriteThenReadUpcastsWithHalfPrecision() throws {
        let t = Tensor(shape: [5], data: [1, -0.333333, 65504, 1e-7, 3.14159])
        let file = try SafeTensors(data: SafeTensors.encode(["h": t], dtype: .f16))
        XCTAssertEqual(file.entries["h"]?.dtype, .f16)
        let back = try file.tensor("h")
        XCTAssertEqual(back.data[0], 1)
        XCTAssertEqual(back.data[1], -0.333333, accuracy: 2e-4)
        XCTAssertEqual(back.data[2], 65504)
        XCTAssertEqual(back.data[3], 1e-7, accuracy: 6e-8, "subnormal half")
        XCTAssertEqual(back.data[4], 3.14159, accuracy: 2e-3)
    }

    func testReadsIntegerAndByteTensors() throws {
        // Hand-built file: I64 [2] = [-5, 1 << 40], U8 [3] = [0, 7, 255].
        let header = #"{"i":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},"u":{"dtype":"U8","shape":[3],"data_offsets":[16,19]}}"#
        var data = Data()
        var len = UInt64(header.utf8.count).littleEndian
        withUnsafeBytes(of: &len) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        for v in [Int64(-5), Int64(1) << 40] { var le = v.littleEndian; withUnsafeBytes(of: &le) { data.append(contentsOf: $0) } }
        data.append(contentsOf: [0, 7, 255] as [UInt8])
        let file = try SafeTensors(data: data)
        XCTAssertEqual(try file.int64s("i"), [-5, 1 << 40])
        XCTAssertEqual(try file.tensor("u").data, [0, 7, 255])
        XCTAssertEqual(try file.int64s("u"), [0, 7, 255])
        XCTAssertThrowsError(try file.tensor("missing")) { XCTAssertEqual($0 as? SafeTensorsError, .tensorNotFound("missing")) }
    }

    // MARK: Malformed input

    private func fileBytes(header: String, dataBytes: Int) -> Data {
        var data = Data()
        var len = UInt64(header.utf8.count).littleEndian
        withUnsafeBytes(of: &len) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        data.append(Data(count: dataBytes))
        return data
    }

    private func assertRejects(_ data: Data, _ check: (SafeTensorsError) -> Bool,
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensors(data: data), file: file, line: line) { error in
            guard let e = error as? SafeTensorsError else { return XCTFail("untyped error \(error)", file: file, line: line) }
            XCTAssert(check(e), "unexpected error \(e)", file: file, line: line)
        }
    }

    func testTruncatedFilesAreRejected() throws {
        assertRejects(Data([1, 2, 3])) { if case .truncated = $0 { return true }; return false }
        let good = try SafeTensors.encode(["a": Tensor(shape: [4], data: [1, 2, 3, 4])])
        // Cut inside the header, then inside the data.
        assertRejects(good.prefix(20)) { if case .truncated = $0 { return true }; return false }
        assertRejects(good.prefix(good.count - 4)) { if case .truncated = $0 { return true }; return false }
    }

    func testBadJSONAndBadEntriesAreRejected() {
        func isHeader(_ e: SafeTensorsError) -> Bool { if case .invalidHeader = e { return true }; return false }
        func isEntry(_ e: SafeTensorsError) -> Bool { if case .invalidEntry = e { return true }; return false }
        assertRejects(fileBytes(header: "{not json", dataBytes: 0), isHeader)
        assertRejects(fileBytes(header: "[1,2]", dataBytes: 0), isHeader)
        assertRejects(fileBytes(header: #"{"__metadata__":{"k":1}}"#, dataBytes: 0), isHeader)
        assertRejects(fileBytes(header: #"{"t":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}}"#, dataBytes: 4), isEntry)
        assertRejects(fileBytes(header: #"{"t":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, dataBytes: 4), isEntry)
        assertRejects(fileBytes(header: #"{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, dataBytes: 4), isEntry)
        assertRejects(fileBytes(header: #"{"t":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#, dataBytes: 8), isEntry)
        assertRejects(fileBytes(header: #"{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, dataBytes: 2)) {
            if case .truncated = $0 { return true }; return false
        }
        assertRejects(fileBytes(header: #"{"t":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}"#, dataBytes: 4), isEntry)
        assertRejects(fileBytes(header: #"{"t":{"dtype":"F32","shape":[1]}}"#, dataBytes: 4), isEntry)
        // Header length field larger than the file.
        var huge = Data([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]); huge.append(Data(count: 16))
        assertRejects(huge, isHeader)
        var long = Data([0x00, 0x10, 0, 0, 0, 0, 0, 0]); long.append(Data(count: 16))
        assertRejects(long) { if case .truncated = $0 { return true }; return false }
    }

    func testMissingFileIsAnIOError() {
        XCTAssertThrowsError(try SafeTensors(contentsOf: URL(fileURLWithPath: "/nonexistent/x.safetensors"))) {
            guard case .io = $0 as? SafeTensorsError else { return XCTFail("\($0)") }
        }
    }

    // MARK: Shared model files

    func testReadsFERMiniXceptionWeights() throws {
        let file = try SafeTensors(contentsOf: sharedFile("fer_mini_xception.f32.safetensors"))
        XCTAssertEqual(file.entries.count, 80)
        let kernel = try file.tensor("conv2d_1.kernel")
        XCTAssertEqual(kernel.shape, [3, 3, 1, 8])
        XCTAssertEqual(kernel.data[1], 0.03510195389389992, accuracy: 1e-9)
        XCTAssertEqual(try file.tensor("batch_normalization_1.gamma").shape, [8])
        XCTAssertEqual(file.metadata["labels"], #"["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]"#)
        let fixture = try SafeTensors(contentsOf: sharedFile("fer_mini_xception.fixture.safetensors"))
        let probs = try fixture.tensor("expected_probs")
        XCTAssertEqual(probs.data.reduce(0, +), 1, accuracy: 1e-5)
        XCTAssertEqual(probs.data[3], 0.9996289, accuracy: 1e-6)
        // The fixture's model input is (u8 / 255 - 0.5) * 2: checks U8 reading end to end.
        let gray = try fixture.tensor("input_gray_u8"), input = try fixture.tensor("input_nhwc_f32")
        XCTAssertEqual(gray.shape, [64, 64])
        for i in stride(from: 0, to: 4096, by: 97) {
            XCTAssertEqual(input.data[i], (gray.data[i] / 255 - 0.5) * 2, accuracy: 1e-6)
        }
    }

    func testReadsDINOv2F16WeightsAndFixtureShapes() throws {
        let weights = try SafeTensors(contentsOf: sharedFile("dinov2_vits14.f16.safetensors"))
        XCTAssertEqual(weights.entries.count, 222)
        XCTAssertEqual(weights.metadata["format"], "pt")
        let patch = try weights.entry("embeddings.patch_embeddings.projection.weight")
        XCTAssertEqual(patch.dtype, .f16)
        XCTAssertEqual(patch.shape, [384, 3, 14, 14])
        XCTAssertEqual(try weights.entry("embeddings.position_embeddings").shape, [1, 1370, 384])
        let norm = try weights.tensor("layernorm.weight")
        XCTAssertEqual(Array(norm.data.prefix(3)), [2.296875, 11.0078125, 2.26171875], "F16 upcast exactly")

        let fixture = try SafeTensors(contentsOf: sharedFile("dinov2_vits14.fixture.safetensors"))
        XCTAssertEqual(try fixture.entry("input_rgb_u8").shape, [224, 224, 3])
        XCTAssertEqual(try fixture.entry("input_rgb_u8").dtype, .u8)
        XCTAssertEqual(try fixture.entry("expected_last_hidden_state").shape, [257, 384])
        XCTAssertEqual(try fixture.entry("expected_pos_embed_8x8").shape, [65, 384])
        // NCHW input = (u8 / 255 - mean) / std per RGB channel.
        let rgb = try fixture.tensor("input_rgb_u8"), input = try fixture.tensor("input_nchw_f32")
        let mean: [Float] = [0.485, 0.456, 0.406], std: [Float] = [0.229, 0.224, 0.225]
        for (y, x) in [(0, 0), (100, 37), (223, 223)] {
            for c in 0..<3 {
                let expected = (rgb.data[(y * 224 + x) * 3 + c] / 255 - mean[c]) / std[c]
                XCTAssertEqual(input.data[(c * 224 + y) * 224 + x], expected, accuracy: 1e-5)
            }
        }
    }
}
