import Foundation

extension AudioEmotionNet {
    /// Saves this model with `metadata` (see `ModelFile`).
    public func save(to url: URL, metadata: AudioModelMetadata) throws {
        try ModelFile.saveAudioModel(self, metadata: metadata, to: url)
    }

    /// Loads a model file, refusing one whose architecture, labels or feature settings differ
    /// from what the caller expects (see `ModelFile.loadAudioModel(from:expectedFeatureConfig:expectedArchitecture:)`).
    public static func load(from url: URL, expectedFeatureConfig: String,
                            expectedArchitecture: Architecture? = nil) throws -> AudioEmotionNet {
        try ModelFile.loadAudioModel(from: url, expectedFeatureConfig: expectedFeatureConfig,
                                     expectedArchitecture: expectedArchitecture)
    }
}
