import Foundation
import Fusion

/// A labelled clip listed in a dataset's MANIFEST.csv.
public struct ManifestEntry: Sendable, Equatable {
    /// Absolute path of the media file.
    public var url: URL
    /// Path as written in the manifest (relative to its folder); used in reports.
    public var file: String
    public var emotion: Emotion
    /// Speaker id when the manifest has an `actor` column.
    public var actor: Int?
    /// Speaker-independent fold when the manifest has a `fold` column.
    public var fold: Int?
}

/// Reads a dataset folder's MANIFEST.csv.
///
/// Only the columns `file` and `emotion` are required (labels as in `Emotion`, common synonyms
/// accepted); `actor` and `fold` are used when present. A RAVDESS-style file name
/// (`03-01-05-...-12.flac`) also yields the actor when there is no `actor` column. Quoted fields
/// are not needed by any manifest we read and are rejected with a clear error rather than
/// mis-parsed.
public enum Manifest {
    public struct Error: Swift.Error, CustomStringConvertible {
        public var description: String
    }

    public static func load(folder: URL) throws -> [ManifestEntry] {
        let url = folder.appendingPathComponent("MANIFEST.csv")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw Error(description: "\(url.path): cannot read MANIFEST.csv (a CSV with at least the columns file,emotion)")
        }
        return try parse(text, folder: folder, source: url.path)
    }

    public static func parse(_ text: String, folder: URL, source: String = "MANIFEST.csv") throws -> [ManifestEntry] {
        var lines = text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
        guard !lines.isEmpty else { throw Error(description: "\(source): empty manifest") }
        let header = lines.removeFirst().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let fileCol = header.firstIndex(of: "file"), let emotionCol = header.firstIndex(of: "emotion") else {
            throw Error(description: "\(source): the header needs the columns 'file' and 'emotion', has \(header)")
        }
        let actorCol = header.firstIndex(of: "actor")
        let foldCol = header.firstIndex(of: "fold")
        return try lines.enumerated().map { n, line in
            guard !line.contains("\"") else { throw Error(description: "\(source):\(n + 2): quoted CSV fields are not supported") }
            let cols = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cols.count == header.count else {
                throw Error(description: "\(source):\(n + 2): \(cols.count) fields, header has \(header.count)")
            }
            guard let emotion = Emotion(label: cols[emotionCol]) else {
                throw Error(description: "\(source):\(n + 2): unknown emotion '\(cols[emotionCol])' (expected one of \(Emotion.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            let file = cols[fileCol]
            guard !file.hasPrefix("/"), !file.split(separator: "/").contains("..") else {
                throw Error(description: "\(source):\(n + 2): file '\(file)' must be a relative path inside the folder")
            }
            let actor = actorCol.flatMap { Int(cols[$0]) } ?? ravdessActor(file)
            return ManifestEntry(url: folder.appendingPathComponent(file), file: file, emotion: emotion,
                                 actor: actor, fold: foldCol.flatMap { Int(cols[$0]) })
        }
    }

    /// Actor id from a RAVDESS file name (the seventh dash-separated field).
    static func ravdessActor(_ file: String) -> Int? {
        let name = (file as NSString).lastPathComponent
        let stem = (name as NSString).deletingPathExtension
        let fields = stem.split(separator: "-")
        guard fields.count == 7 else { return nil }
        return Int(fields[6])
    }
}
