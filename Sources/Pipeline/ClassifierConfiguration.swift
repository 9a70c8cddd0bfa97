import Foundation
import Media

/// What `ClipClassifier` loads and how it treats a clip. Every property has a working default,
/// so `ClassifierConfiguration()` classifies with the shipped models.
public struct ClassifierConfiguration: Sendable {
    /// Directory searched first for model files (see `ModelLocator`). Default nil.
    public var modelsDirectory: String?
    /// The audio model file. Default nil: `audio-emotion.safetensors` found by `ModelLocator`.
    public var audioModelPath: String?
    /// Directory of the facial model (`fer_mini_xception.f32.safetensors` + `.json`).
    /// Default nil: found by `ModelLocator`.
    public var facialModelDirectory: String?
    /// Haar cascade XML. Default nil: the standard opencv-data locations.
    public var cascadePath: String?
    /// Limits applied before and during decoding (hostile payloads). Default `.default`.
    public var limits: DecodeLimits
    /// Evenly spaced frames taken from a video (the paper uses 22). Default 22.
    public var frameCount: Int
    /// Frames are downscaled so their longer side is at most this. Default 640.
    public var maxFrameSide: Int
    /// An audio track quieter than this (RMS, dBFS) counts as silence and is not classified,
    /// because the audio model only ever saw speech. Default -60.
    public var silenceThresholdDBFS: Double
    /// The video branch answers only when a face was found in at least this share of the
    /// frames: the Haar cascade fires now and then on patterns and textures, and a real face in
    /// front of the camera shows in most frames. Default 0.25.
    public var minFaceFraction: Double
    /// Run the audio branch. Default true.
    public var useAudio: Bool
    /// Run the video branch. Default true.
    public var useVideo: Bool

    public init(
        modelsDirectory: String? = nil, audioModelPath: String? = nil, facialModelDirectory: String? = nil,
        cascadePath: String? = nil, limits: DecodeLimits = .default, frameCount: Int = 22, maxFrameSide: Int = 640,
        silenceThresholdDBFS: Double = -60, minFaceFraction: Double = 0.25, useAudio: Bool = true, useVideo: Bool = true
    ) {
        self.modelsDirectory = modelsDirectory
        self.audioModelPath = audioModelPath
        self.facialModelDirectory = facialModelDirectory
        self.cascadePath = cascadePath
        self.limits = limits
        self.frameCount = frameCount
        self.maxFrameSide = maxFrameSide
        self.silenceThresholdDBFS = silenceThresholdDBFS
        self.minFaceFraction = minFaceFraction
        self.useAudio = useAudio
        self.useVideo = useVideo
    }
}
