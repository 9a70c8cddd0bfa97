import Foundation

/// Finds the frontal-face Haar cascade file. The one place that knows where it may live.
///
/// Debian's `opencv-data` installs it under /usr/share/opencv4/haarcascades; older packages and
/// source builds use the other standard folders below. A configured path, when given, is the
/// only candidate: silently falling back would hide a typo in the configuration.
public enum HaarCascadeLocator {
    /// The cascade the paper (and fer) use.
    public static let fileName = "haarcascade_frontalface_default.xml"

    /// Standard folders searched, in order, when no path is configured.
    public static let standardDirectories = [
        "/usr/share/opencv4/haarcascades",
        "/usr/share/opencv/haarcascades",
        "/usr/local/share/opencv4/haarcascades",
    ]

    /// Returns the cascade path to load.
    ///
    /// - Parameter configuredPath: a file path from the configuration, or nil to search the
    ///   standard directories.
    /// - Throws: `VisionError.cascadeNotFound(searched:)` listing every path tried.
    public static func locate(configuredPath: String? = nil) throws -> String {
        let candidates = configuredPath.map { [$0] }
            ?? standardDirectories.map { $0 + "/" + fileName }
        var isDirectory: ObjCBool = false
        for path in candidates
        where FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            && !isDirectory.boolValue {
            return path
        }
        throw VisionError.cascadeNotFound(searched: candidates)
    }
}
