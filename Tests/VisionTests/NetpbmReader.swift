import Foundation
@testable import Vision

/// Reads the binary PPM (P6) / PGM (P5) fixtures: a tiny test-only decoder, so Vision itself
/// needs no image codec.
enum NetpbmReader {
    struct Failure: Error { let message: String }

    static func fixtureURL(_ name: String) throws -> URL {
        guard let url = Bundle.module.url(forResource: "Fixtures/" + name, withExtension: nil) else {
            throw Failure(message: "fixture \(name) missing from the test bundle")
        }
        return url
    }

    static func rgb(_ name: String) throws -> RGBImage {
        let (magic, width, height, pixels) = try read(fixtureURL(name))
        guard magic == "P6" else { throw Failure(message: "\(name) is not P6") }
        return try RGBImage(width: width, height: height, pixels: pixels)
    }

    static func gray(_ name: String) throws -> GrayImage {
        let (magic, width, height, pixels) = try read(fixtureURL(name))
        guard magic == "P5" else { throw Failure(message: "\(name) is not P5") }
        return try GrayImage(width: width, height: height, pixels: pixels)
    }

    private static func read(_ url: URL) throws -> (String, Int, Int, [UInt8]) {
        let bytes = [UInt8](try Data(contentsOf: url))
        var index = 0
        func token() throws -> String {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A
                || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
            let start = index
            while index < bytes.count, !(bytes[index] == 0x20 || bytes[index] == 0x0A
                || bytes[index] == 0x0D || bytes[index] == 0x09) { index += 1 }
            guard index > start else { throw Failure(message: "truncated header") }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }
        let magic = try token()
        guard let width = Int(try token()), let height = Int(try token()),
              try token() == "255" else { throw Failure(message: "bad header") }
        index += 1  // the single whitespace byte after maxval
        return (magic, width, height, Array(bytes[index...]))
    }
}
