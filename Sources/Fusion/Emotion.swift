import Foundation

/// The eight RAVDESS emotion classes, in the order every model, file and payload uses.
///
/// The raw value is the label used on the wire (JSON, MQTT, CSV manifests); `index` is the
/// position in probability vectors. RAVDESS file names number them 1...8 in the same order.
public enum Emotion: String, CaseIterable, Codable, Sendable, Comparable {
    case neutral, calm, happy, sad, angry, fearful, disgust, surprised

    /// Number of classes (the width of every probability vector).
    public static let count = 8

    /// Position in probability vectors (0...7).
    public var index: Int { Emotion.allCases.firstIndex(of: self)! }

    /// The class at `index` in probability vectors.
    public init?(index: Int) {
        guard (0..<Emotion.count).contains(index) else { return nil }
        self = Emotion.allCases[index]
    }

    /// RAVDESS emotion id (the third field of a file name, 01...08).
    public init?(ravdessID: Int) { self.init(index: ravdessID - 1) }

    /// Parses a label, also accepting common synonyms found in other datasets' manifests.
    public init?(label: String) {
        let key = label.lowercased().trimmingCharacters(in: .whitespaces)
        if let e = Emotion(rawValue: key) { self = e; return }
        switch key {
        case "fear": self = .fearful
        case "surprise": self = .surprised
        case "anger": self = .angry
        case "happiness", "joy": self = .happy
        case "sadness": self = .sad
        case "disgusted": self = .disgust
        default: return nil
        }
    }

    public static func < (a: Emotion, b: Emotion) -> Bool { a.index < b.index }
}

