/// An 8-bit grayscale image: `width * height` bytes, row-major, no row padding.
///
/// Face crops for the facial-expression models are delivered in this form; the models scale the
/// bytes themselves (each model has its own normalisation).
public struct GrayImage: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// `width * height` luma bytes, rows top to bottom.
    public let pixels: [UInt8]

    /// Wraps 8-bit gray bytes.
    ///
    /// - Throws: `VisionError.invalidImage` if a side is not positive or the byte count is not
    ///   `width * height`.
    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        guard width > 0, height > 0, width <= 1 << 15, height <= 1 << 15 else {
            throw VisionError.invalidImage("gray image size \(width)x\(height) is not usable")
        }
        guard pixels.count == width * height else {
            throw VisionError.invalidImage(
                "gray image \(width)x\(height) needs \(width * height) bytes, got \(pixels.count)")
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}
