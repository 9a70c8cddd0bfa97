import Foundation

/// How the embeddings a video head was trained on were computed: the part of a video head
/// file that must match the caller's own pipeline, or the head sees numbers it never learned.
///
/// Stored in the model file's metadata (`VideoHead+File.swift`) and part of the embedding cache
/// key used in training, so a head and its cached inputs always agree on encoder, crop size,
/// frame count and pooling.
public struct VideoHeadSettings: Sendable, Equatable {
    /// The encoder this code runs (`DINOv2Encoder`).
    public static let dinov2Encoder = "dinov2_vits14"

    /// Encoder name (`dinov2_vits14`).
    public var encoder: String
    /// Side of the square RGB face crops given to the encoder (112 or 224; any multiple of 14).
    public var inputSize: Int
    /// Frames per clip (rows of the head's input).
    public var frames: Int
    /// Width of one frame's embedding (columns of the head's input).
    public var embeddingWidth: Int
    /// Which encoder output stands for a frame.
    public var pooling: DINOv2Pooling

    /// Defaults: DINOv2 ViT-S/14 at 112 x 112 (2.9 GFLOP per face against 12.3 at 224, see
    /// docs/VIDEO.md), 22 frames as in the paper, the CLS embedding.
    public init(encoder: String = VideoHeadSettings.dinov2Encoder, inputSize: Int = 112, frames: Int = 22,
                embeddingWidth: Int = DINOv2Encoder.width, pooling: DINOv2Pooling = .cls) {
        self.encoder = encoder
        self.inputSize = inputSize
        self.frames = frames
        self.embeddingWidth = embeddingWidth
        self.pooling = pooling
    }

    /// The head input these settings produce.
    public var geometry: VideoHead.Geometry { .init(frames: frames, embeddingWidth: embeddingWidth) }

    /// Metadata entries (all strings, safetensors `__metadata__` style).
    public var metadata: [String: String] {
        ["encoder": encoder, "input_size": String(inputSize), "frames": String(frames),
         "embedding_width": String(embeddingWidth), "pooling": pooling.metadataName]
    }

    /// A one-line summary for cache keys and logs.
    public var summary: String {
        "\(encoder) \(inputSize)px, \(frames) frames x \(embeddingWidth), \(pooling.metadataName)"
    }
}

extension DINOv2Pooling {
    /// The spelling used in model files and on the command line.
    public var metadataName: String {
        switch self {
        case .cls: return "cls"
        case .patchMean: return "patch_mean"
        }
    }

    /// Parses `metadataName` (also accepting `patch-mean`).
    public init?(metadataName: String) {
        switch metadataName {
        case "cls": self = .cls
        case "patch_mean", "patch-mean": self = .patchMean
        default: return nil
        }
    }
}
