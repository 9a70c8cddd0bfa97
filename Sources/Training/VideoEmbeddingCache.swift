import Foundation
import Models
import NN

/// On-disk cache of clip embedding matrices, one small safetensors file per clip.
///
/// Why: the DINOv2 pass costs 22 x 2.9 GFLOP per clip at 112 px (x 4 at 224), the head's
/// training a tiny fraction of that; a user tuning the head should pay for the embeddings once.
///
/// The key is a string naming everything the matrix depends on (the clip file's name, size and
/// modification time, the encoder weights file's size and modification time, crop size, frame
/// count, pooling, face-crop settings). The file name is its 64-bit FNV-1a digest; the whole key
/// is stored in the file's metadata and compared on read, so a digest collision or a stale
/// file reads as a miss, never as another clip's data. A clip in which no frame had a face is
/// cached too (an empty matrix), so it is not searched again.
public struct VideoEmbeddingCache: Sendable {
    /// One cached clip.
    public struct Entry: Sendable, Equatable {
        /// The `[frames x width]` matrix, frame-major; nil when no frame had a face.
        public var matrix: [Float]?
        /// Frames in which a face was found.
        public var facesFound: Int
    }

    /// The folder holding the cache files (created on first write).
    public let directory: URL

    public init(directory: URL) { self.directory = directory }

    /// The file a key is stored in.
    public func url(forKey key: String) -> URL {
        directory.appendingPathComponent("video-embedding-\(FNV1a.hex(key)).safetensors")
    }

    /// The cached entry for `key`, or nil on a miss (absent, unreadable, or another key).
    public func read(key: String, width: Int) -> Entry? {
        guard let file = try? SafeTensors(contentsOf: url(forKey: key)), file.metadata["key"] == key,
              let faces = file.metadata["faces_found"].flatMap(Int.init),
              let matrix = try? file.tensor("embeddings"), matrix.shape.count == 2, matrix.shape[1] == width,
              matrix.data.allSatisfy({ $0.isFinite }) else { return nil }
        return Entry(matrix: matrix.count == 0 ? nil : matrix.data, facesFound: faces)
    }

    /// Stores `entry` under `key` (atomically).
    ///
    /// - Throws: `ModelError.invalidInput` for a matrix that is not whole rows of `width`;
    ///   `SafeTensorsError` or a file-system error when the file cannot be written.
    public func write(_ entry: Entry, key: String, width: Int) throws {
        let values = entry.matrix ?? []
        guard width > 0, values.count % width == 0 else {
            throw ModelError(.invalidInput, "an embedding matrix of \(values.count) values is not rows of \(width)")
        }
        let tensor = Tensor(shape: [values.count / width, width], data: values)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try SafeTensors.write(["embeddings": tensor],
                              metadata: ["key": key, "faces_found": String(entry.facesFound)],
                              to: url(forKey: key))
    }
}
