/// One decoded video frame as packed RGB24.
public struct VideoFrame: Sendable, Equatable {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// `width * height * 3` bytes, row-major, R G B per pixel, no row padding.
    public var rgb: [UInt8]
    /// Presentation time in seconds, relative to the first frame of the video stream.
    public var timestamp: Double

    public init(width: Int, height: Int, rgb: [UInt8], timestamp: Double) {
        precondition(rgb.count == width * height * 3, "rgb must hold width*height*3 bytes")
        self.width = width
        self.height = height
        self.rgb = rgb
        self.timestamp = timestamp
    }

    /// Luma (BT.601: 0.299 R + 0.587 G + 0.114 B), one byte per pixel, row-major.
    ///
    /// Face detection works on grey images; doing the conversion here keeps callers free of
    /// pixel-layout details. Integer weights (77, 150, 29) / 256 match the float weights to
    /// within one grey level.
    public func gray() -> [UInt8] {
        let count = width * height
        return [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
            rgb.withUnsafeBufferPointer { src in
                for i in 0..<count {
                    let r = UInt32(src[3 * i]), g = UInt32(src[3 * i + 1]), b = UInt32(src[3 * i + 2])
                    out[i] = UInt8(truncatingIfNeeded: (77 * r + 150 * g + 29 * b + 128) >> 8)
                }
            }
            initialized = count
        }
    }
}
