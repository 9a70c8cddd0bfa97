import Audio
import Dispatch
import Foundation
import Fusion
import Media
import NN

/// A labelled audio set in memory: per clip, the feature matrix of the original recording and,
/// when the recipe augments, of its noise, pitch and noise+pitch copies.
///
/// Augmented copies are drawn once per clip with a seed derived from the clip's file name, so
/// every fold of a cross-validation and every run sees the same copies. Building the set
/// (decode, augment, features) takes a minute or so for RAVDESS on 2 cores; `cacheDirectory`
/// keeps the result keyed by everything that determines it.
public final class AudioDataset {
    public let entries: [ManifestEntry]
    /// `variants[i][0]` is clip i's original features; further entries are augmented copies.
    public let variants: [[FeatureMatrix]]
    /// Digest of the manifest and feature settings (stored as the model's training data hash).
    public let digest: String

    init(entries: [ManifestEntry], variants: [[FeatureMatrix]], digest: String) {
        self.entries = entries
        self.variants = variants
        self.digest = digest
    }

    /// Reads `folder/MANIFEST.csv`, decodes every file with FFmpeg and computes features.
    /// Files that fail to decode are an error naming the file (a training set must be clean).
    public static func load(
        folder: URL, recipe: AudioRecipe, augment: Bool, cacheDirectory: URL? = nil,
        log: (String) -> Void = { _ in }
    ) throws -> AudioDataset {
        let entries = try Manifest.load(folder: folder)
        let manifestText = (try? String(contentsOf: folder.appendingPathComponent("MANIFEST.csv"), encoding: .utf8)) ?? ""
        var keyParts = [manifestText, recipe.features.configJSON]
        if augment { keyParts += ["\(recipe.noiseSNRRange)", "\(recipe.pitchSemitoneRange)", "\(recipe.seed)"] }
        let digest = FNV1a.hex(keyParts.joined(separator: "\u{1}"))
        let cacheURL = cacheDirectory?.appendingPathComponent("audio-features-\(digest)\(augment ? "-aug" : "").bin")
        if let cacheURL, let cached = FeatureCache.read(cacheURL, clips: entries.count) {
            log("features: \(entries.count) clips from cache \(cacheURL.path)")
            return AudioDataset(entries: entries, variants: cached, digest: digest)
        }

        let extractor = try AudioFeatureExtractor(config: recipe.features)
        var options = DecodeOptions()
        options.decodeVideo = false
        options.audioSampleRate = recipe.features.sampleRate
        let decoder = ClipDecoder(options: options)
        var results = [Result<[FeatureMatrix], Error>?](repeating: nil, count: entries.count)
        let lock = NSLock()
        var done = 0
        let start = Date()
        // Two threads of decode + augmentation; BLAS single-threaded so they do not fight.
        let previousThreads = BLASThreads.current
        BLASThreads.set(1)
        defer { BLASThreads.set(previousThreads) }
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for i in stride(from: worker, to: entries.count, by: workers) {
                let r = Result { try Self.features(entries[i], decoder: decoder, extractor: extractor, recipe: recipe, augment: augment) }
                lock.lock()
                results[i] = r
                done += 1
                if done % 100 == 0 || done == entries.count {
                    log(String(format: "features: %d/%d clips (%.0f s)", done, entries.count, Date().timeIntervalSince(start)))
                }
                lock.unlock()
            }
        }
        let variants = try results.enumerated().map { i, r -> [FeatureMatrix] in
            do { return try r!.get() } catch {
                throw Manifest.Error(description: "\(entries[i].url.path): \(error)")
            }
        }
        if let cacheURL { FeatureCache.write(variants, to: cacheURL) }
        return AudioDataset(entries: entries, variants: variants, digest: digest)
    }

    static func features(
        _ entry: ManifestEntry, decoder: ClipDecoder, extractor: AudioFeatureExtractor, recipe: AudioRecipe, augment: Bool
    ) throws -> [FeatureMatrix] {
        let bytes = try [UInt8](Data(contentsOf: entry.url))
        guard let samples = try decoder.decode(bytes).audio?.samples else {
            throw Manifest.Error(description: "no audio track")
        }
        var out = [extractor.features(samples)]
        guard augment else { return out }
        var augmenter = try AudioAugmenter(sampleRate: recipe.features.sampleRate,
                                           seed: recipe.seed ^ FNV1a.hash(entry.file))
        var rng = SeededRandom(seed: recipe.seed &+ FNV1a.hash(entry.file))
        func draw(_ r: ClosedRange<Double>) -> Double { r.lowerBound + Double(rng.nextUniform()) * (r.upperBound - r.lowerBound) }
        let snr = draw(recipe.noiseSNRRange)
        let semitones = draw(recipe.pitchSemitoneRange) * (rng.nextUniform() < 0.5 ? -1 : 1)
        for a in [AudioAugmentation.noise(snrDB: snr), .pitch(semitones: semitones),
                  .noiseAndPitch(snrDB: draw(recipe.noiseSNRRange), semitones: -semitones)] {
            out.append(extractor.features(try augmenter.apply(a, to: samples)))
        }
        return out
    }
}

/// 64-bit FNV-1a: a stable, dependency-free digest for cache keys and data provenance.
enum FNV1a {
    static func hash(_ text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    static func hex(_ text: String) -> String { String(format: "%016llx", hash(text)) }
}

/// The on-disk form of a dataset's features: per clip a variant count, then per variant its
/// feature count, frame count and Float32 values. Any mismatch reads as a cache miss.
enum FeatureCache {
    static func write(_ variants: [[FeatureMatrix]], to url: URL) {
        var data = Data()
        func put(_ v: Int32) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
        put(Int32(variants.count))
        for clip in variants {
            put(Int32(clip.count))
            for m in clip {
                put(Int32(m.featureCount)); put(Int32(m.frameCount))
                m.values.withUnsafeBytes { data.append(contentsOf: $0) }
            }
        }
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? data.write(to: url, options: .atomic)
    }

    static func read(_ url: URL, clips: Int) -> [[FeatureMatrix]]? {
        guard let data = try? Data(contentsOf: url) else { return nil }
        var offset = 0
        func get() -> Int? {
            guard offset + 4 <= data.count else { return nil }
            let v = data[offset..<(offset + 4)].withUnsafeBytes { Int(Int32(littleEndian: $0.loadUnaligned(as: Int32.self))) }
            offset += 4
            return v
        }
        guard get() == clips else { return nil }
        var out: [[FeatureMatrix]] = []
        for _ in 0..<clips {
            guard let n = get(), n > 0 else { return nil }
            var clip: [FeatureMatrix] = []
            for _ in 0..<n {
                guard let f = get(), let t = get(), f > 0, t > 0, offset + f * t * 4 <= data.count else { return nil }
                var values = [Float](repeating: 0, count: f * t)
                values.withUnsafeMutableBytes { _ = data.copyBytes(to: $0, from: offset..<(offset + f * t * 4)) }
                offset += f * t * 4
                clip.append(FeatureMatrix(featureCount: f, frameCount: t, values: values))
            }
            out.append(clip)
        }
        return offset == data.count ? out : nil
    }
}
