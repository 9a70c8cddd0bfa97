/// A packed 8-bit RGB image (RGB24): `width * height * 3` bytes, row-major, no row padding.
///
/// This is the frame format Vision accepts. It is a plain value so frames can be handed from a
/// decoder thread to a worker without sharing; the pipeline converts Media's decoded frames into it.
public struct RGBImage: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// `width * height * 3` bytes: R, G, B per pixel, rows top to bottom.
    public let pixels: [UInt8]

    /// Wraps packed RGB24 bytes.
    ///
    /// - Throws: `VisionError.invalidImage` if a side is not positive or the byte count is not
    ///   `width * height * 3`.
    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        guard width > 0, height > 0, width <= 1 << 15, height <= 1 << 15 else {
            throw VisionError.invalidImage("RGB image size \(width)x\(height) is not usable")
        }
        guard pixels.count == width * height * 3 else {
            throw VisionError.invalidImage(
                "RGB image \(width)x\(height) needs \(width * height * 3) bytes, got \(pixels.count)")
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}
