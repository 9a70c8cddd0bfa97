import Foundation
import XCTest

/// Locations of model files for the facial-model tests, resolved from this file's path.
enum FacialModelPaths {
    /// The package root (this file is Tests/ModelsTests/FacialModelPaths.swift).
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// The models shipped with the repository.
    static var shippedModels: URL { packageRoot.appendingPathComponent("models") }

    /// ../shared/models next to the package root; skips the test when absent.
    static func sharedModels(_ file: String) throws -> URL {
        let url = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/models/\(file)")
        guard FileManager.default.fileExists(atPath: url.path) else { throw XCTSkip("\(url.path) absent") }
        return url
    }
}
