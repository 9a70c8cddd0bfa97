import Audio
import Foundation
import Fusion
import Media
import Models
import NN
import Vision

/// One clip in, one `EmotionEvent` out: decode (FFmpeg), audio branch (features -> 1D CNN),
/// video branch (Haar face crops -> facial model), class-aware late fusion.
///
/// Ownership: the models cache activations, so an instance serves one thread at a time. The
/// daemon creates one per worker; loading is cheap (the models are a few MB).
public final class ClipClassifier {
    public let configuration: ClassifierConfiguration
    public let audioModel: AudioEmotionNet?
    public let featureExtractor: AudioFeatureExtractor?
    public let facialModel: FacialEmotionModel?
    public let cropper: FaceCropper?
    private let decoder: ClipDecoder

    /// Loads the models and the face detector. Throws `PipelineError` with code `setup` naming
    /// the missing or mismatched file.
    public init(configuration: ClassifierConfiguration = ClassifierConfiguration()) throws {
        self.configuration = configuration
        var options = DecodeOptions()
        options.videoFrameCount = configuration.frameCount
        options.maxFrameSide = configuration.maxFrameSide
        options.decodeAudio = configuration.useAudio
        options.decodeVideo = configuration.useVideo
        decoder = ClipDecoder(limits: configuration.limits, options: options)

        if configuration.useAudio {
            let url = try Self.audioModelURL(configuration)
            (audioModel, featureExtractor) = try Self.loadAudioModel(url)
        } else {
            (audioModel, featureExtractor) = (nil, nil)
        }
        if configuration.useVideo {
            let model = try Self.loadFacialModel(configuration)
            facialModel = model
            do {
                let detector = try FaceDetector(configuration: .init(cascadePath: configuration.cascadePath))
                cropper = try FaceCropper(detector: detector, configuration: .init(outputSize: model.inputSize))
            } catch {
                throw PipelineError.setup("face detector: \(error)")
            }
        } else {
            (facialModel, cropper) = (nil, nil)
        }
    }

    /// Decodes and classifies one media file given as bytes (never a path from a payload).
    public func classify(
        _ bytes: [UInt8], device: String = "local", clipID: String = UUID().uuidString.lowercased(),
        capturedAt: Date = Date()
    ) throws -> EmotionEvent {
        var timer = StageTimer()
        let clip: DecodedClip
        do { clip = try decoder.decode(bytes) } catch let error as MediaError { throw PipelineError.media(error) }
        timer.lap("decode")
        return try classify(clip, device: device, clipID: clipID, capturedAt: capturedAt, timer: timer)
    }

    /// Classifies an already decoded clip.
    public func classify(
        _ clip: DecodedClip, device: String, clipID: String, capturedAt: Date, timer: StageTimer = StageTimer()
    ) throws -> EmotionEvent {
        var timer = timer
        var predictions: [ModalityPrediction] = []
        var modalities = EmotionEvent.Modalities()
        var notes: [String] = []

        if let track = clip.audio, audioModel != nil {
            if AudioSignal.rmsDBFS(track.samples) < configuration.silenceThresholdDBFS {
                notes.append("audio is silent")
            } else if let p = try classifyAudio(track.samples, timer: &timer) {
                predictions.append(p)
                modalities.audio = .init(emotion: p.emotion, confidence: p.confidence,
                                         probabilities: Emotion.named(p.probabilities),
                                         durationS: track.durationSeconds)
            }
        } else if clip.audio == nil {
            notes.append("no audio track")
        }

        if !clip.frames.isEmpty, facialModel != nil {
            let (prediction, facesFound) = try classifyFrames(clip.frames, timer: &timer)
            if let prediction { predictions.append(prediction) } else { notes.append("faces in \(facesFound) of \(clip.frames.count) frames") }
            modalities.video = .init(
                emotion: prediction?.emotion, confidence: prediction?.confidence,
                probabilities: prediction.map { Emotion.named($0.probabilities) },
                facesFound: facesFound, frames: clip.frames.count)
        } else if !clip.hasVideoStream {
            notes.append("no video track")
        }

        guard let fused = LateFusion.fuse(predictions) else {
            throw PipelineError.nothingToClassify(notes.joined(separator: "; "))
        }
        timer.lap("fusion")
        var models: [String: String] = [:]
        for p in predictions { models[p.modality.rawValue] = p.modelID }
        return EmotionEvent(
            device: device, clipID: clipID, capturedAt: capturedAt, processedAt: Date(), fused: fused,
            modalities: modalities, models: models, latencyMS: timer.millisecondsWithTotal)
    }

    /// The audio branch alone on 16 kHz mono samples (also used by evaluation).
    public func classifyAudio(_ samples: [Float]) throws -> ModalityPrediction? {
        var timer = StageTimer()
        return try classifyAudio(samples, timer: &timer)
    }

    private func classifyAudio(_ samples: [Float], timer: inout StageTimer) throws -> ModalityPrediction? {
        guard let audioModel, let featureExtractor else { return nil }
        let features = featureExtractor.features(samples)
        timer.lap("audio_features")
        let tensor = Tensor(shape: [features.featureCount, features.frameCount], data: features.values)
        let probabilities: [Float]
        do { probabilities = try audioModel.predict(features: tensor)[0] } catch {
            throw PipelineError(code: "audio_model", message: "\(error)")
        }
        timer.lap("audio_model")
        return ModalityPrediction(modality: .audio, probabilities: probabilities,
                                  modelID: audioModel.metadata?.modelID ?? "audio")
    }

    private func classifyFrames(_ frames: [VideoFrame], timer: inout StageTimer) throws -> (ModalityPrediction?, Int) {
        guard let facialModel, let cropper else { return (nil, 0) }
        let images: [RGBImage]
        let crops: [GrayImage?]
        let found: Int
        do {
            images = try frames.map { try RGBImage(width: $0.width, height: $0.height, pixels: $0.rgb) }
            (crops, found) = try cropper.crops(frames: images)
        } catch {
            throw PipelineError(code: "face_detection", message: "\(error)")
        }
        timer.lap("faces")
        guard Double(found) >= configuration.minFaceFraction * Double(frames.count), found > 0 else { return (nil, found) }
        let prediction: ModalityPrediction?
        do { prediction = try facialModel.clipPrediction(crops: crops.compactMap { $0 }) } catch {
            throw PipelineError(code: "video_model", message: "\(error)")
        }
        timer.lap("video_model")
        return (prediction, found)
    }

    // MARK: Loading

    private static func audioModelURL(_ c: ClassifierConfiguration) throws -> URL {
        if let path = c.audioModelPath { return URL(fileURLWithPath: path) }
        guard let url = ModelLocator.locate(ModelLocator.audioModelFileName, configured: c.modelsDirectory) else {
            throw PipelineError.setup("audio model \(ModelLocator.audioModelFileName) not found in "
                + ModelLocator.candidateDirectories(configured: c.modelsDirectory).map(\.path).joined(separator: ", "))
        }
        return url
    }

    /// Reads the model's own feature settings first, so features are computed exactly as in training.
    static func loadAudioModel(_ url: URL) throws -> (AudioEmotionNet, AudioFeatureExtractor) {
        do {
            let meta = try SafeTensors(contentsOf: url).metadata
            guard let json = meta["feature_config"] else {
                throw PipelineError.setup("\(url.path): no feature_config in the metadata (not an emotiond audio model)")
            }
            let config = try AudioFeatureConfig(configJSON: json)
            let net = try ModelFile.loadAudioModel(from: url, expectedFeatureConfig: config.configJSON)
            return (net, try AudioFeatureExtractor(config: config))
        } catch let error as PipelineError {
            throw error
        } catch {
            throw PipelineError.setup("audio model \(url.path): \(error)")
        }
    }

    private static func loadFacialModel(_ c: ClassifierConfiguration) throws -> FacialEmotionModel {
        let dir: URL
        if let d = c.facialModelDirectory {
            dir = URL(fileURLWithPath: d)
        } else if let weights = ModelLocator.locate(MiniXceptionModel.weightsFileName, configured: c.modelsDirectory) {
            dir = weights.deletingLastPathComponent()
        } else {
            throw PipelineError.setup("facial model \(MiniXceptionModel.weightsFileName) not found in "
                + ModelLocator.candidateDirectories(configured: c.modelsDirectory).map(\.path).joined(separator: ", "))
        }
        do { return try MiniXceptionModel(directory: dir) } catch {
            throw PipelineError.setup("facial model in \(dir.path): \(error)")
        }
    }
}
