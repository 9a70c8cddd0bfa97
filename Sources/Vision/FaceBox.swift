/// A face found in a frame, in that frame's pixel coordinates (top-left origin).
public struct FaceBox: Sendable, Equatable, Hashable {
    /// Left edge in pixels.
    public var x: Int
    /// Top edge in pixels.
    public var y: Int
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// Pixel area, used to pick the main face of a frame (the largest one).
    public var area: Int { width * height }
}
