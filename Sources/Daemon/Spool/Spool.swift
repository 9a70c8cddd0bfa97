import Foundation

/// Crash-safe journal of accepted clips (DESIGN section 3 and 5).
///
/// libmosquitto acknowledges a QoS 1 message as soon as it arrives, so the broker forgets it
/// then: from that moment the daemon alone holds the clip. ``accept(device:kind:clipID:clipIDIsExplicit:payload:capturedAt:)``
/// makes it durable before anything else happens, and ``complete(_:)`` drops it once its
/// result is published and stored. At start, ``recover()`` returns what was left.
///
/// On disk, one file per clip named `<sequence>.spool` (20 digits, so names sort in
/// acceptance order): the 8-byte magic `EMSPOOL1`, a little-endian UInt32 header length, a JSON
/// header (``SpoolEntry/Metadata``) and the payload. A file is written as `.partial-<sequence>`,
/// fsynced, renamed into place and the directory fsynced, so a crash leaves either a complete
/// file or a partial one that ``recover()`` deletes. A full disk deletes the partial file at
/// once and throws ``SpoolError/diskFull(path:)``.
///
/// ``recover()`` returns only what earlier runs left (files numbered below this instance's
/// first sequence), so clips accepted by this run are never replayed twice, and it never
/// touches a write in progress.
///
/// Thread safety: all methods may be called from any thread concurrently.
public final class Spool: @unchecked Sendable {
    /// The journal directory.
    public let directory: String
    private let lock = NSLock()
    /// Guarded by `lock`.
    private var nextSequence: UInt64
    /// The first sequence of this run: files below it are leftovers of earlier runs.
    public let firstSequenceOfThisRun: UInt64
    /// Whether to fsync (tests of logic may turn it off; the daemon never does).
    private let durable: Bool
    private let clock: any DaemonClock

    static let magic = Array("EMSPOOL1".utf8)
    static let fileSuffix = ".spool"
    static let partialPrefix = ".partial-"

    /// Opens (and creates if needed) the spool in `directory`.
    public init(directory: String, durable: Bool = true, clock: any DaemonClock = SystemClock()) throws {
        self.directory = directory
        self.durable = durable
        self.clock = clock
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false,
                                                    attributes: [.posixPermissions: 0o700])
        } catch CocoaError.fileWriteFileExists {
        } catch {
            var isDir: ObjCBool = false
            if !(FileManager.default.fileExists(atPath: directory, isDirectory: &isDir) && isDir.boolValue) {
                throw SpoolError.io(operation: "mkdir", path: directory, errno: ENOENT)
            }
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let highest = names.compactMap { Self.sequence(ofName: $0) ?? Self.sequence(ofPartial: $0) }.max() ?? 0
        guard highest < 9_000_000_000_000_000_000 else {
            throw SpoolError.corrupt(path: directory, reason: "journal sequence \(highest) is implausibly large; move the file away")
        }
        nextSequence = highest + 1
        firstSequenceOfThisRun = nextSequence
    }

    // MARK: Writing

    /// Journals one clip durably and returns its entry.
    ///
    /// - Throws: ``SpoolError/diskFull(path:)`` when the disk (or quota) is full,
    ///   ``SpoolError/io(operation:path:errno:)`` otherwise. Nothing is left behind on error.
    @discardableResult
    public func accept(device: String, kind: ClipKind, clipID: String, clipIDIsExplicit: Bool = true,
                       payload: Data, capturedAt: Date) throws -> SpoolEntry {
        let sequence: UInt64 = lock.withLock {
            defer { nextSequence += 1 }
            return nextSequence
        }
        let metadata = SpoolEntry.Metadata(device: device, kind: kind, clipID: clipID, clipIDIsExplicit: clipIDIsExplicit,
                                           capturedAt: capturedAt, acceptedAt: clock.now, payloadLength: payload.count)
        let header = try Self.encoder.encode(metadata)
        var prefix = Self.magic
        withUnsafeBytes(of: UInt32(header.count).littleEndian) { prefix.append(contentsOf: $0) }
        prefix.append(contentsOf: header)

        let partial = directory + "/" + Self.partialPrefix + Self.name(of: sequence)
        let final = directory + "/" + Self.name(of: sequence) + Self.fileSuffix
        do {
            let fd = try SystemCalls.createExclusive(partial)
            do {
                try prefix.withUnsafeBytes { try SystemCalls.writeAll(fd, $0, path: partial) }
                try payload.withUnsafeBytes { try SystemCalls.writeAll(fd, $0, path: partial) }
                if durable { try SystemCalls.fsync(fd, path: partial) }
                SystemCalls.close(fd)
            } catch {
                SystemCalls.close(fd)
                try? SystemCalls.unlink(partial)
                throw error
            }
            do {
                try SystemCalls.rename(partial, final)
                if durable { try SystemCalls.fsyncDirectory(directory) }
            } catch {
                try? SystemCalls.unlink(partial)
                try? SystemCalls.unlink(final)
                throw error
            }
        } catch let error as SystemCallError {
            throw error.isDiskFull ? SpoolError.diskFull(path: directory)
                : SpoolError.io(operation: error.call, path: error.path, errno: error.errno)
        }
        return SpoolEntry(sequence: sequence, path: final, metadata: metadata)
    }

    /// Forgets a finished clip (its result is published and stored, or it failed for good).
    public func complete(_ entry: SpoolEntry) throws {
        do {
            try SystemCalls.unlink(entry.path)
        } catch let error as SystemCallError {
            throw SpoolError.io(operation: error.call, path: error.path, errno: error.errno)
        }
    }

    // MARK: Reading

    /// The journaled payload of `entry`.
    public func payload(of entry: SpoolEntry) throws -> Data {
        let (metadata, data, offset) = try Self.read(path: entry.path)
        guard metadata.clipID == entry.clipID, metadata.payloadLength == entry.metadata.payloadLength else {
            throw SpoolError.corrupt(path: entry.path, reason: "header changed since it was read")
        }
        return data.subdata(in: offset..<data.count)
    }

    /// Scans what earlier runs left: deletes their partial and corrupt files and returns their
    /// intact entries in acceptance order. Call at start, to replay them.
    public func recover() throws -> SpoolRecovery {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw SpoolError.io(operation: "readdir", path: directory, errno: EIO)
        }
        var entries: [SpoolEntry] = []
        var partials = 0, corrupt = 0
        for name in names {
            let path = directory + "/" + name
            if name.hasPrefix(Self.partialPrefix) {
                // A partial file of this run is a write in progress.
                if let sequence = Self.sequence(ofPartial: name), sequence >= firstSequenceOfThisRun { continue }
                try? SystemCalls.unlink(path)
                partials += 1
            } else if let sequence = Self.sequence(ofName: name), sequence < firstSequenceOfThisRun {
                do {
                    let (metadata, _, _) = try Self.read(path: path)
                    entries.append(SpoolEntry(sequence: sequence, path: path, metadata: metadata))
                } catch {
                    try? SystemCalls.unlink(path)
                    corrupt += 1
                }
            }
            // Other files are not ours; leave them alone.
        }
        if partials + corrupt > 0, durable { try? SystemCalls.fsyncDirectory(directory) }
        entries.sort { $0.sequence < $1.sequence }
        return SpoolRecovery(entries: entries, removedPartials: partials, removedCorrupt: corrupt)
    }

    /// The intact entries of earlier runs, oldest first (``recover()`` without the counts).
    public func pending() throws -> [SpoolEntry] { try recover().entries }

    // MARK: Format

    private static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.dateEncodingStrategy = .custom { date, enc in
            var c = enc.singleValueContainer()
            try c.encode(date.timeIntervalSinceReferenceDate) // round-trips exactly
        }
        return e
    }()

    private static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .custom { dec in Date(timeIntervalSinceReferenceDate: try dec.singleValueContainer().decode(Double.self)) }
        return d
    }

    static func name(of sequence: UInt64) -> String {
        let digits = String(sequence)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits
    }

    static func sequence(ofName name: String) -> UInt64? {
        guard name.hasSuffix(fileSuffix) else { return nil }
        let stem = name.dropLast(fileSuffix.count)
        guard stem.count == 20, stem.allSatisfy(\.isASCII) else { return nil }
        return UInt64(stem)
    }

    static func sequence(ofPartial name: String) -> UInt64? {
        guard name.hasPrefix(partialPrefix) else { return nil }
        let stem = name.dropFirst(partialPrefix.count)
        guard stem.count == 20, stem.allSatisfy(\.isASCII) else { return nil }
        return UInt64(stem)
    }

    /// Reads and checks a journal file: (metadata, whole file, payload offset).
    private static func read(path: String) throws -> (SpoolEntry.Metadata, Data, Int) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SpoolError.io(operation: "read", path: path, errno: ENOENT)
        }
        let bytes = [UInt8](data.prefix(12))
        guard bytes.count == 12, Array(bytes[0..<8]) == magic else {
            throw SpoolError.corrupt(path: path, reason: "bad magic")
        }
        let headerLength = Int(UInt32(bytes[8]) | UInt32(bytes[9]) << 8 | UInt32(bytes[10]) << 16 | UInt32(bytes[11]) << 24)
        guard headerLength <= 64 * 1024, 12 + headerLength <= data.count else {
            throw SpoolError.corrupt(path: path, reason: "bad header length")
        }
        let metadata: SpoolEntry.Metadata
        do {
            metadata = try decoder().decode(SpoolEntry.Metadata.self, from: data.subdata(in: 12..<(12 + headerLength)))
        } catch {
            throw SpoolError.corrupt(path: path, reason: "bad header")
        }
        guard data.count - 12 - headerLength == metadata.payloadLength else {
            throw SpoolError.corrupt(path: path, reason: "payload is \(data.count - 12 - headerLength) bytes, header says \(metadata.payloadLength)")
        }
        return (metadata, data, 12 + headerLength)
    }
}
