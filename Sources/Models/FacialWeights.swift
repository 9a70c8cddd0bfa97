import Foundation
import NN

/// Read-only access to the facial models' weights and parity fixtures, on top of NN's
/// `SafeTensors` reader (one safetensors parser in the project).
///
/// What this adapter adds: the facial models' error type (every malformed file is a
/// `FacialModelError`, as the mini-XCEPTION and DINOv2 loaders promise), shape-checked float
/// reads, and the rule that weights are F32 or F16 (upcast to F32) and raw images U8, so a
/// file with, say, integer "weights" is refused rather than silently converted.
struct FacialWeights {
    /// The `__metadata__` map (empty when absent).
    let metadata: [String: String]
    private let file: SafeTensors

    /// Reads and validates the whole file.
    init(url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw FacialModelError.unreadable(path: url.path, reason: "\(error)")
        }
        try self.init(data: data)
    }

    init(data: Data) throws {
        do { file = try SafeTensors(data: data) } catch {
            throw FacialModelError.malformedWeights("\(error)")
        }
        metadata = file.metadata
    }

    /// A float tensor (F32 as stored, F16 upcast), checking the shape when `shape` is given.
    func floats(_ name: String, shape expected: [Int]? = nil) throws -> [Float] {
        guard let entry = file.entries[name] else {
            throw FacialModelError.tensorMismatch(name: name, expected: expected ?? [], found: nil)
        }
        if let expected, expected != entry.shape {
            throw FacialModelError.tensorMismatch(name: name, expected: expected, found: entry.shape)
        }
        guard entry.dtype == .f32 || entry.dtype == .f16 else {
            throw FacialModelError.malformedWeights("\(name) is \(entry.dtype.rawValue), not a float tensor")
        }
        do { return try file.tensor(name).data } catch {
            throw FacialModelError.malformedWeights("\(error)")
        }
    }

    /// Raw bytes of a U8 tensor.
    func bytes(_ name: String) throws -> [UInt8] {
        guard let entry = file.entries[name] else {
            throw FacialModelError.tensorMismatch(name: name, expected: [], found: nil)
        }
        guard entry.dtype == .u8 else {
            throw FacialModelError.malformedWeights("\(name) is \(entry.dtype.rawValue), not U8")
        }
        do { return [UInt8](try file.rawBytes(name)) } catch {
            throw FacialModelError.malformedWeights("\(error)")
        }
    }

    /// Shape of a tensor, or nil when absent.
    func shape(_ name: String) -> [Int]? { file.entries[name]?.shape }
}
