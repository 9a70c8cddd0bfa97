import ArgumentParser
import Foundation
import Fusion
import Pipeline

struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Classify media files (audio, video or both) and print one result per file.",
        discussion: """
        Reads any container FFmpeg reads within the whitelist (MP4, MKV/WebM, MPEG-TS, OGG, WAV, FLAC, \
        MP3). Prints the audio, video and fused result per file; --json prints one JSON object per line \
        with the same schema as the daemon's emotion event (docs/MQTT.md). A file that cannot be \
        classified gets a message naming it and the reason; the others are still classified, and the \
        exit status is 1.

        Examples:
          emotiond classify samples/03-01-05-02-01-01-01.flac
          emotiond classify --json samples/*.mp4
        """)

    @OptionGroup var models: ClassifierOptions

    @Flag(help: "Print one JSON object per file (the emotion event schema).")
    var json = false

    @Argument(help: ArgumentHelp("Media files to classify.", valueName: "file"))
    var files: [String]

    func run() throws {
        let classifier: ClipClassifier
        do { classifier = try ClipClassifier(configuration: models.configuration) } catch {
            throw CLIError.setup("\(error)")
        }
        var failures = 0
        for file in files {
            do {
                let bytes = try readFile(file, limit: classifier.configuration.limits.maxBytes)
                let event = try classifier.classify(bytes, device: "cli", clipID: (file as NSString).lastPathComponent)
                print(json ? String(decoding: try event.wireJSON(), as: UTF8.self) : Self.describe(event, file: file))
            } catch {
                failures += 1
                FileHandle.standardError.write(Data("emotiond: \(file): \(error)\n".utf8))
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }

    static func describe(_ e: EmotionEvent, file: String) -> String {
        func pct(_ x: Float?) -> String { x.map { String(format: "%.0f%%", $0 * 100) } ?? "-" }
        var lines = ["\(file): \(e.emotion.rawValue) \(pct(e.confidence))  [fused from \(e.fusion.modalitiesUsed.map(\.rawValue).joined(separator: "+"))]"]
        if let a = e.modalities.audio {
            lines.append("  audio: \(a.emotion.rawValue) \(pct(a.confidence))  (\(String(format: "%.1f", a.durationS)) s)")
        } else {
            lines.append("  audio: none")
        }
        if let v = e.modalities.video {
            lines.append("  video: \(v.emotion?.rawValue ?? "no face") \(pct(v.confidence))  (faces in \(v.facesFound)/\(v.frames) frames)")
        } else {
            lines.append("  video: none")
        }
        lines.append("  probabilities: " + Emotion.allCases.map { "\($0.rawValue) \(pct(e.probabilities[$0.rawValue]))" }.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }
}

/// Reads a file given on the command line, refusing one larger than the decoder would accept
/// before reading it whole.
func readFile(_ path: String, limit: Int) throws -> [UInt8] {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    if let size = attributes[.size] as? Int, size > limit {
        throw CLIError.input("\(size) bytes is over the \(limit)-byte limit")
    }
    return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

enum CLIError: Error, CustomStringConvertible {
    case setup(String)
    case input(String)

    var description: String {
        switch self {
        case .setup(let m): return m
        case .input(let m): return m
        }
    }
}
