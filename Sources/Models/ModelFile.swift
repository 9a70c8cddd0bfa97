import Foundation
import Fusion
import NN

/// Self-describing model files: safetensors whose `__metadata__` says what the weights are.
///
/// An audio model file (`format` = `emotiond-audio-v1`) holds the tensors of
/// `AudioEmotionNet.namedTensors` (F32) and these metadata entries (all strings):
///
/// | key | value |
/// | --- | --- |
/// | `format` | `emotiond-audio-v1` |
/// | `arch` | `paper` or `compact` |
/// | `labels` | JSON array of the class labels in output order (must be `Emotion.allCases`) |
/// | `feature_config` | the audio feature module's settings, JSON (compared on load) |
/// | `feature_count`, `input_frames`, `dropout` | the network's shape settings |
/// | `training_data_hash`, `protocol`, `accuracy`, `model_id` | provenance (see `AudioModelMetadata`) |
///
/// Loading refuses, with a `ModelError` saying what differs, a file of another format, an
/// unknown or unexpected architecture, another label order, other feature settings, or tensors
/// that do not fit the architecture.
public enum ModelFile {
    /// The `format` value of audio model files written by this version.
    public static let audioFormat = "emotiond-audio-v1"

    /// Metadata keys written by `audioModelData`; `AudioModelMetadata.extra` may not use them.
    public static let reservedAudioKeys: Set<String> = [
        "format", "arch", "labels", "feature_config", "feature_count", "input_frames", "dropout",
        "training_data_hash", "protocol", "accuracy", "model_id",
    ]

    /// The labels every model's outputs are ordered by.
    public static var labelOrder: [String] { Emotion.allCases.map(\.rawValue) }

    // MARK: Saving

    /// The bytes of an audio model file for `net` with `metadata`.
    public static func audioModelData(_ net: AudioEmotionNet, metadata: AudioModelMetadata) throws -> Data {
        if let clash = metadata.extra.keys.first(where: { reservedAudioKeys.contains($0) }) {
            throw ModelError(.invalidMetadata, "extra metadata key '\(clash)' is reserved")
        }
        var tensors: [String: Tensor] = [:]
        for (name, p) in net.namedTensors {
            guard p.value.data.allSatisfy({ $0.isFinite }) else {
                throw ModelError(.tensorMismatch, "tensor '\(name)' has NaN or infinite values; refusing to save")
            }
            tensors[name] = p.value
        }
        let c = net.configuration
        var entries = metadata.extra
        entries["format"] = audioFormat
        entries["arch"] = c.architecture.rawValue
        entries["labels"] = jsonArray(labelOrder)
        entries["feature_config"] = metadata.featureConfig
        entries["feature_count"] = String(c.featureCount)
        entries["input_frames"] = String(c.inputFrames)
        entries["dropout"] = String(c.dropout)
        entries["training_data_hash"] = metadata.trainingDataHash
        entries["protocol"] = metadata.trainingProtocol
        entries["accuracy"] = metadata.accuracy
        entries["model_id"] = metadata.modelID
        do { return try SafeTensors.encode(tensors, metadata: entries) } catch {
            throw ModelError(.writeFailed, "cannot encode model: \(error)")
        }
    }

    /// Writes `net` with `metadata` to `url` (atomically) and records the metadata on `net`.
    public static func saveAudioModel(_ net: AudioEmotionNet, metadata: AudioModelMetadata, to url: URL) throws {
        let data = try audioModelData(net, metadata: metadata)
        do { try data.write(to: url, options: .atomic) } catch {
            throw ModelError(.writeFailed, "cannot write model: \(error.localizedDescription)", path: url.path)
        }
        net.metadata = metadata
    }

    // MARK: Loading

    /// Loads an audio model file, checking it against what this build expects.
    ///
    /// - Parameters:
    ///   - expectedFeatureConfig: the feature settings JSON the caller will compute features
    ///     with; the file's `feature_config` must describe the same settings (JSON-equal: key
    ///     order and whitespace do not matter).
    ///   - expectedArchitecture: if given, the file must hold that architecture.
    public static func loadAudioModel(
        from url: URL, expectedFeatureConfig: String, expectedArchitecture: AudioEmotionNet.Architecture? = nil
    ) throws -> AudioEmotionNet {
        let file: SafeTensors
        do { file = try SafeTensors(contentsOf: url) } catch {
            throw ModelError(.unreadable, "\(error)", path: url.path)
        }
        do {
            return try loadAudioModel(file, expectedFeatureConfig: expectedFeatureConfig,
                                      expectedArchitecture: expectedArchitecture)
        } catch var error as ModelError {
            error.path = url.path
            throw error
        }
    }

    /// Loads an audio model from the bytes of a file (see `loadAudioModel(from:...)`).
    public static func loadAudioModel(
        data: Data, expectedFeatureConfig: String, expectedArchitecture: AudioEmotionNet.Architecture? = nil
    ) throws -> AudioEmotionNet {
        let file: SafeTensors
        do { file = try SafeTensors(data: data) } catch { throw ModelError(.unreadable, "\(error)") }
        return try loadAudioModel(file, expectedFeatureConfig: expectedFeatureConfig,
                                  expectedArchitecture: expectedArchitecture)
    }

    static func loadAudioModel(
        _ file: SafeTensors, expectedFeatureConfig: String, expectedArchitecture: AudioEmotionNet.Architecture?
    ) throws -> AudioEmotionNet {
        let meta = file.metadata
        guard let format = meta["format"] else {
            throw ModelError(.formatMismatch, "no 'format' in the file's metadata: not an emotiond model (expected \(audioFormat))")
        }
        guard format == audioFormat else {
            throw ModelError(.formatMismatch, "file format is '\(format)', this build reads '\(audioFormat)'")
        }
        guard let archName = meta["arch"] else { throw ModelError(.invalidMetadata, "no 'arch' in the metadata") }
        guard let arch = AudioEmotionNet.Architecture(rawValue: archName) else {
            let known = AudioEmotionNet.Architecture.allCases.map(\.rawValue).joined(separator: ", ")
            throw ModelError(.architectureMismatch, "unknown architecture '\(archName)' (this build knows \(known))")
        }
        if let expectedArchitecture, expectedArchitecture != arch {
            throw ModelError(.architectureMismatch,
                             "file holds the '\(arch.rawValue)' architecture, '\(expectedArchitecture.rawValue)' was asked for")
        }
        try checkLabels(meta["labels"])
        guard let fileFeatures = meta["feature_config"] else {
            throw ModelError(.invalidMetadata, "no 'feature_config' in the metadata")
        }
        if let difference = featureConfigDifference(file: fileFeatures, expected: expectedFeatureConfig) {
            throw ModelError(.featureConfigMismatch, "feature_config differs from what this build computes: \(difference)")
        }
        func integer(_ key: String) throws -> Int {
            guard let s = meta[key], let v = Int(s) else {
                throw ModelError(.invalidMetadata, "metadata '\(key)' is missing or not an integer: \(meta[key] ?? "nil")")
            }
            return v
        }
        let dropout = meta["dropout"].flatMap(Float.init) ?? 0.3
        let configuration = AudioEmotionNet.Configuration(
            architecture: arch, featureCount: try integer("feature_count"),
            inputFrames: try integer("input_frames"), dropout: dropout)
        let net = try AudioEmotionNet(configuration: configuration)

        var expectedNames = Set<String>()
        for (name, p) in net.namedTensors {
            expectedNames.insert(name)
            guard let entry = file.entries[name] else {
                throw ModelError(.tensorMismatch, "tensor '\(name)' of the \(arch.rawValue) net is missing from the file")
            }
            guard entry.shape == p.value.shape else {
                throw ModelError(.tensorMismatch,
                                 "tensor '\(name)' has shape \(entry.shape) in the file, the \(arch.rawValue) net needs \(p.value.shape)")
            }
            let value: Tensor
            do { value = try file.tensor(name) } catch { throw ModelError(.tensorMismatch, "\(error)") }
            guard value.data.allSatisfy({ $0.isFinite }) else {
                throw ModelError(.tensorMismatch, "tensor '\(name)' contains NaN or infinite values")
            }
            p.value = value
        }
        if let extra = file.names.first(where: { !expectedNames.contains($0) }) {
            throw ModelError(.tensorMismatch, "unexpected tensor '\(extra)' for the \(arch.rawValue) net")
        }
        let reserved = reservedAudioKeys
        net.metadata = AudioModelMetadata(
            modelID: meta["model_id"] ?? "", featureConfig: fileFeatures,
            trainingDataHash: meta["training_data_hash"] ?? "", trainingProtocol: meta["protocol"] ?? "{}",
            accuracy: meta["accuracy"] ?? "{}", extra: meta.filter { !reserved.contains($0.key) })
        return net
    }

    // MARK: Checks

    private static func checkLabels(_ json: String?) throws {
        guard let json else { throw ModelError(.invalidMetadata, "no 'labels' in the metadata") }
        guard let data = json.data(using: .utf8),
              let labels = (try? JSONSerialization.jsonObject(with: data)) as? [String] else {
            throw ModelError(.invalidMetadata, "metadata 'labels' is not a JSON array of strings: \(json)")
        }
        let expected = labelOrder
        guard labels != expected else { return }
        if labels.count != expected.count {
            throw ModelError(.labelMismatch,
                             "file has \(labels.count) labels \(labels), this build uses \(expected.count): \(expected)")
        }
        let i = labels.indices.first { labels[$0] != expected[$0] } ?? 0
        throw ModelError(.labelMismatch,
                         "label order differs at position \(i): file '\(labels[i])', this build '\(expected[i])' (file \(labels), build \(expected))")
    }

    /// Describes how two feature-config JSON strings differ, or `nil` if they are JSON-equal.
    ///
    /// Both are parsed and compared as JSON values (key order, whitespace and number spelling do
    /// not matter); for two objects, the message lists each differing top-level key. Strings that
    /// are not JSON are compared verbatim.
    public static func featureConfigDifference(file: String, expected: String) -> String? {
        let a = parseJSON(file), b = parseJSON(expected)
        guard let a, let b else {
            return file.trimmingCharacters(in: .whitespacesAndNewlines) == expected.trimmingCharacters(in: .whitespacesAndNewlines)
                ? nil : "file \(file), expected \(expected)"
        }
        if canonical(a) == canonical(b) { return nil }
        guard let da = a as? [String: Any], let db = b as? [String: Any] else {
            return "file \(canonical(a)), expected \(canonical(b))"
        }
        var parts: [String] = []
        for key in Set(da.keys).union(db.keys).sorted() {
            switch (da[key], db[key]) {
            case let (x?, y?) where canonical(x) != canonical(y):
                parts.append("\(key): file \(canonical(x)), expected \(canonical(y))")
            case (nil, let y?): parts.append("\(key): missing in file, expected \(canonical(y))")
            case (let x?, nil): parts.append("\(key): file \(canonical(x)), not expected")
            default: break
            }
        }
        return parts.joined(separator: "; ")
    }

    private static func parseJSON(_ s: String) -> Any? {
        guard let data = s.data(using: .utf8) else { return nil }
        return try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    }

    /// Sorted-key serialisation of a JSON value (wrapped in an array so fragments work too).
    private static func canonical(_ value: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys]),
              let s = String(data: data, encoding: .utf8) else { return "\(value)" }
        return String(s.dropFirst().dropLast())
    }

    private static func jsonArray(_ strings: [String]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: strings, options: [])) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
