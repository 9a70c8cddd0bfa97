// libFuzzer entry point over the real Swift decode path of emotiond: `Media.ClipDecoder`
// (container probe, FFmpeg demux and decode from memory, the limit and timing checks, the
// video frame sampler, resampling and RGB scaling), exactly as `ClipClassifier.classify`
// calls it with the default `ClassifierConfiguration` (DecodeLimits.default, 22 frames,
// longest side 640).
//
// Built by fuzz/run.sh with `swiftc -sanitize=fuzzer,address -parse-as-library`: libFuzzer
// provides `main` and calls the function below once per input. A thrown `MediaError` is the
// expected answer to hostile bytes and is discarded; a crash, a Swift runtime trap (bounds,
// overflow, force unwrap), a sanitizer report, a leak, a timeout or running out of memory is
// a finding.
import Media

/// The decoder the pipeline uses: `ClipClassifier` builds `ClipDecoder(limits:options:)` from
/// `ClassifierConfiguration()`, whose defaults are these.
private let decoder = ClipDecoder(limits: .default, options: DecodeOptions(videoFrameCount: 22, maxFrameSide: 640))

@_cdecl("LLVMFuzzerTestOneInput")
public func decodeFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = size > 0 && data != nil ? [UInt8](UnsafeBufferPointer(start: data, count: size)) : []
    _ = try? decoder.decode(bytes)
    return 0
}
