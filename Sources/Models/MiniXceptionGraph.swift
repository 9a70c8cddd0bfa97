import Foundation

/// The layer list of `fer_mini_xception.json`, the sidecar describing the Keras graph in
/// forward order. Only the fields the Swift port reads are decoded.
struct MiniXceptionGraph: Decodable {
    struct Layer: Decodable {
        let name: String
        let type: String
        let inputs: [String]
        let kernel_size: [Int]?
        let strides: [Int]?
        let padding: String?
        let pads_tblr: [Int]?
        let filters: Int?
        let use_bias: Bool?
        let epsilon: Double?
        let activation: String?
        let pool_size: [Int]?
        let tensors: [String: String]?
        let output_shape: [Int]
    }

    struct Output: Decodable {
        let labels: [String]
    }

    struct Input: Decodable {
        let shape: [Int]
    }

    let layers: [Layer]
    let output: Output
    let input: Input

    static func load(url: URL) throws -> MiniXceptionGraph {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw FacialModelError.unreadable(path: url.path, reason: "\(error)")
        }
        do {
            return try JSONDecoder().decode(MiniXceptionGraph.self, from: data)
        } catch {
            throw FacialModelError.architectureMismatch("\(url.lastPathComponent) is not a mini-XCEPTION graph: \(error)")
        }
    }

    /// Keras "same" padding for one axis: `[before, after]`.
    static func samePadding(input: Int, kernel: Int, stride: Int) -> (Int, Int) {
        let output = (input + stride - 1) / stride
        let total = max((output - 1) * stride + kernel - input, 0)
        return (total / 2, total - total / 2)
    }
}
