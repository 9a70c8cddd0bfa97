import Fusion
import Vision

/// A model that reads facial expressions from gray face crops.
///
/// Models are trained on their own label sets (FER2013 has 7 classes and no "calm"), so
/// `predict` returns the model's native probabilities and `to8` maps them onto the eight
/// `Emotion` classes; `supportedMask` tells fusion which of the eight the model can output.
public protocol FacialEmotionModel: Sendable {
    /// Identifies the weights in results and logs.
    var modelID: String { get }
    /// Side of the square crops the model takes (64 for mini-XCEPTION).
    var inputSize: Int { get }
    /// The model's own class labels, in output order.
    var nativeLabels: [String] { get }
    /// Per `Emotion` (in `Emotion.allCases` order): can this model output it?
    var supportedMask: [Bool] { get }

    /// Native class probabilities for each crop (each `inputSize` square), in crop order.
    func predict(crops: [GrayImage]) throws -> [[Float]]

    /// Maps one native probability vector onto the eight classes; unsupported classes get 0.
    func to8(_ native: [Float]) -> [Float]
}

extension FacialEmotionModel {
    /// One clip-level video prediction: the mean of the per-crop probabilities, mapped to the
    /// eight classes. nil when there are no crops (no face found in any frame).
    public func clipPrediction(crops: [GrayImage]) throws -> ModalityPrediction? {
        let perCrop = try predict(crops: crops)
        guard let first = perCrop.first else { return nil }
        var mean = [Float](repeating: 0, count: first.count)
        for probabilities in perCrop {
            for i in mean.indices { mean[i] += probabilities[i] }
        }
        let scale = 1 / Float(perCrop.count)
        return ModalityPrediction(modality: .video, probabilities: to8(mean.map { $0 * scale }),
                                  supported: supportedMask, modelID: modelID)
    }
}

/// FER2013's seven classes in the order fer's models output them (`FER._get_labels`).
public enum FERClass: Int, CaseIterable, Sendable {
    case angry, disgust, fear, happy, sad, surprise, neutral

    /// The label fer uses.
    public var label: String {
        switch self {
        case .angry: return "angry"
        case .disgust: return "disgust"
        case .fear: return "fear"
        case .happy: return "happy"
        case .sad: return "sad"
        case .surprise: return "surprise"
        case .neutral: return "neutral"
        }
    }

    /// The matching RAVDESS class. FER2013 has no "calm".
    public var emotion: Emotion {
        switch self {
        case .angry: return .angry
        case .disgust: return .disgust
        case .fear: return .fearful
        case .happy: return .happy
        case .sad: return .sad
        case .surprise: return .surprised
        case .neutral: return .neutral
        }
    }

    /// Which of the eight `Emotion` classes a FER2013 model can output (all but calm).
    public static let supportedMask: [Bool] = Emotion.allCases.map { e in allCases.contains { $0.emotion == e } }

    /// Seven FER probabilities -> eight `Emotion` probabilities, calm = 0.
    public static func to8(_ fer7: [Float]) -> [Float] {
        precondition(fer7.count == allCases.count, "need \(allCases.count) FER probabilities, got \(fer7.count)")
        var out = [Float](repeating: 0, count: Emotion.count)
        for fer in allCases { out[fer.emotion.index] = fer7[fer.rawValue] }
        return out
    }
}

extension MiniXceptionModel {
    public var supportedMask: [Bool] { FERClass.supportedMask }
    public func to8(_ native: [Float]) -> [Float] { FERClass.to8(native) }
}
