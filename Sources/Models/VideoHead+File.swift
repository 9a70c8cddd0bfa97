import Foundation
import Fusion
import NN

/// Self-describing video head files: safetensors (NN's reader and writer) whose
/// `__metadata__` says what the weights are and what they expect as input.
///
/// Tensors: the ten of `VideoHead.parameterShapes` under their PyTorch names and the input
/// standardisation `input.mean`, `input.std` (`[embeddingWidth]` each), F32.
/// Metadata (all strings):
///
/// | key | value |
/// | --- | --- |
/// | `format` | `emotiond-video-head-v1` |
/// | `arch` | `paper-cnn2d-3linear` (the paper's "2D CNN + 3 linear") |
/// | `labels` | JSON array of the class labels in output order (must be `Emotion.allCases`) |
/// | `encoder` | `dinov2_vits14` |
/// | `input_size` | side of the RGB face crops given to the encoder (112 or 224) |
/// | `frames`, `embedding_width` | the head's input matrix, e.g. 22 x 384 |
/// | `pooling` | `cls` or `patch_mean` |
///
/// plus any provenance entries the trainer adds (`training_data_hash`, `protocol`, ...).
/// Loading refuses, with a `ModelError` saying what differs, a file of another format or
/// architecture, another label order, embedding settings other than the caller's, or tensors
/// that do not fit.
extension VideoHead {
    /// The `format` value of video head files written by this version.
    public static let fileFormat = "emotiond-video-head-v1"
    /// The `arch` value: the paper's 2-conv, 3-linear head.
    public static let architectureName = "paper-cnn2d-3linear"
    /// Metadata keys this file format defines; provenance entries may not use them.
    public static let reservedMetadataKeys: Set<String> =
        ["format", "arch", "labels", "encoder", "input_size", "frames", "embedding_width", "pooling"]

    // MARK: Saving

    /// The bytes of a model file for this head, trained on embeddings made with `settings`.
    ///
    /// - Throws: `ModelError.invalidMetadata` if `settings` do not give this head's geometry or a
    ///   provenance key is reserved; `.tensorMismatch` for NaN or infinite weights.
    public func fileData(settings: VideoHeadSettings, provenance: [String: String] = [:]) throws -> Data {
        guard settings.geometry == geometry else {
            throw ModelError(.invalidMetadata,
                             "settings give a \(settings.frames)x\(settings.embeddingWidth) input, the head takes \(geometry.frames)x\(geometry.embeddingWidth)")
        }
        if let clash = provenance.keys.sorted().first(where: { Self.reservedMetadataKeys.contains($0) }) {
            throw ModelError(.invalidMetadata, "provenance key '\(clash)' is reserved")
        }
        var tensors: [String: Tensor] = [:]
        for (name, parameter) in namedTensors {
            guard parameter.value.data.allSatisfy({ $0.isFinite }) else {
                throw ModelError(.tensorMismatch, "tensor '\(name)' has NaN or infinite values; refusing to save")
            }
            tensors[name] = parameter.value
        }
        var metadata = provenance.merging(settings.metadata) { _, fixed in fixed }
        metadata["format"] = Self.fileFormat
        metadata["arch"] = Self.architectureName
        metadata["labels"] = Self.labelsJSON
        do { return try SafeTensors.encode(tensors, metadata: metadata) } catch {
            throw ModelError(.writeFailed, "cannot encode video head: \(error)")
        }
    }

    /// Writes `fileData(settings:provenance:)` to `url` atomically.
    public func save(to url: URL, settings: VideoHeadSettings, provenance: [String: String] = [:]) throws {
        let data = try fileData(settings: settings, provenance: provenance)
        do { try data.write(to: url, options: .atomic) } catch {
            throw ModelError(.writeFailed, "cannot write video head: \(error.localizedDescription)", path: url.path)
        }
    }

    // MARK: Loading

    /// Loads a video head file.
    ///
    /// - Parameter expected: the settings the caller computes embeddings with; when given, the
    ///   file's must be equal (`ModelError.featureConfigMismatch` names each difference).
    /// - Returns: the head, the file's embedding settings and its whole metadata map.
    public static func load(from url: URL, expecting expected: VideoHeadSettings? = nil) throws
        -> (head: VideoHead, settings: VideoHeadSettings, metadata: [String: String]) {
        let file: SafeTensors
        do { file = try SafeTensors(contentsOf: url) } catch {
            throw ModelError(.unreadable, "\(error)", path: url.path)
        }
        do { return try load(file, expecting: expected) } catch var error as ModelError {
            error.path = url.path
            throw error
        }
    }

    /// Loads a video head from the bytes of a file (see `load(from:expecting:)`).
    public static func load(data: Data, expecting expected: VideoHeadSettings? = nil) throws
        -> (head: VideoHead, settings: VideoHeadSettings, metadata: [String: String]) {
        let file: SafeTensors
        do { file = try SafeTensors(data: data) } catch { throw ModelError(.unreadable, "\(error)") }
        return try load(file, expecting: expected)
    }

    static func load(_ file: SafeTensors, expecting expected: VideoHeadSettings?) throws
        -> (head: VideoHead, settings: VideoHeadSettings, metadata: [String: String]) {
        let meta = file.metadata
        guard let format = meta["format"] else {
            throw ModelError(.formatMismatch, "no 'format' in the file's metadata: not an emotiond video head (expected \(fileFormat))")
        }
        guard format == fileFormat else {
            throw ModelError(.formatMismatch, "file format is '\(format)', this build reads '\(fileFormat)'")
        }
        guard meta["arch"] == architectureName else {
            throw ModelError(.architectureMismatch,
                             "architecture '\(meta["arch"] ?? "absent")', this build implements '\(architectureName)'")
        }
        try checkLabels(meta["labels"])
        let settings = try settings(from: meta)
        if let expected, expected != settings {
            throw ModelError(.featureConfigMismatch,
                             "the head was trained on other embeddings: \(differences(file: settings, expected: expected))")
        }
        let head: VideoHead
        do { head = try VideoHead(geometry: settings.geometry, seed: 0) } catch {
            throw ModelError(.invalidMetadata, "\(error)")
        }
        var expectedNames = Set<String>()
        for (name, parameter) in head.namedTensors {
            expectedNames.insert(name)
            guard let entry = file.entries[name] else {
                throw ModelError(.tensorMismatch, "tensor '\(name)' of the video head is missing from the file")
            }
            guard entry.shape == parameter.value.shape else {
                throw ModelError(.tensorMismatch,
                                 "tensor '\(name)' has shape \(entry.shape) in the file, a \(settings.frames)x\(settings.embeddingWidth) head needs \(parameter.value.shape)")
            }
            let value: Tensor
            do { value = try file.tensor(name) } catch { throw ModelError(.tensorMismatch, "\(error)") }
            guard value.data.allSatisfy({ $0.isFinite }) else {
                throw ModelError(.tensorMismatch, "tensor '\(name)' contains NaN or infinite values")
            }
            parameter.value = value
        }
        if let extra = file.names.first(where: { !expectedNames.contains($0) }) {
            throw ModelError(.tensorMismatch, "unexpected tensor '\(extra)' for the video head")
        }
        return (head, settings, meta)
    }

    // MARK: Checks

    private static var labelsJSON: String {
        let data = (try? JSONSerialization.data(withJSONObject: Emotion.allCases.map(\.rawValue))) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    private static func checkLabels(_ json: String?) throws {
        guard let json else { throw ModelError(.invalidMetadata, "no 'labels' in the metadata") }
        guard let labels = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String] else {
            throw ModelError(.invalidMetadata, "metadata 'labels' is not a JSON array of strings: \(json)")
        }
        let expected = Emotion.allCases.map(\.rawValue)
        guard labels == expected else {
            throw ModelError(.labelMismatch, "file labels \(labels), this build uses \(expected)")
        }
    }

    private static func settings(from meta: [String: String]) throws -> VideoHeadSettings {
        func integer(_ key: String, in range: ClosedRange<Int>) throws -> Int {
            guard let text = meta[key], let value = Int(text), range.contains(value) else {
                throw ModelError(.invalidMetadata, "metadata '\(key)' is missing or not an integer in \(range): \(meta[key] ?? "absent")")
            }
            return value
        }
        guard let encoder = meta["encoder"], !encoder.isEmpty else {
            throw ModelError(.invalidMetadata, "no 'encoder' in the metadata")
        }
        guard let poolingName = meta["pooling"], let pooling = DINOv2Pooling(metadataName: poolingName) else {
            throw ModelError(.invalidMetadata, "metadata 'pooling' is missing or unknown: \(meta["pooling"] ?? "absent") (cls or patch_mean)")
        }
        return VideoHeadSettings(
            encoder: encoder, inputSize: try integer("input_size", in: 14...518), frames: try integer("frames", in: 10...4096),
            embeddingWidth: try integer("embedding_width", in: 10...65_536), pooling: pooling)
    }

    private static func differences(file: VideoHeadSettings, expected: VideoHeadSettings) -> String {
        let a = file.metadata, b = expected.metadata
        return a.keys.sorted().filter { a[$0] != b[$0] }
            .map { "\($0): file \(a[$0]!), expected \(b[$0]!)" }
            .joined(separator: "; ")
    }
}
