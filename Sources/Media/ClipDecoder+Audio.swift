import CFFmpeg

extension ClipDecoder {
    /// Decodes the audio packets, downmixes to mono and resamples to
    /// ``DecodeOptions/audioSampleRate`` Float32.
    ///
    /// Sample counts are checked per decoded frame, so audio that expands far beyond its
    /// declared length (a decompression bomb) stops at the duration limit.
    func decodeAudio(_ packets: PacketList, codec: CodecContext, stream: UnsafeMutablePointer<AVStream>) throws -> AudioTrack? {
        let resampler = MonoResampler(outputRate: options.audioSampleRate)
        let frame = try Frame()
        let outputCeiling = Int((durationCeiling * Double(options.audioSampleRate)).rounded(.up)) + 4096
        var samples: [Float] = []
        samples.reserveCapacity(min(outputCeiling, Int(Double(options.audioSampleRate) * 10)))
        var inputSamples = 0
        var inputSeconds = 0.0
        var decodedFrames = 0

        _ = try codec.decodeAll(packets, into: frame) { decoded in
            let rate = Int(decoded.pointee.sample_rate)
            guard rate > 0, rate <= limits.maxAudioSampleRate else {
                throw MediaError(.unsupportedCodec, "audio sample rate \(rate) Hz is not supported")
            }
            let count = Int(decoded.pointee.nb_samples)
            inputSamples += count
            inputSeconds += Double(count) / Double(rate)
            decodedFrames += 1
            if inputSamples > limits.maxAudioSamples || inputSeconds > durationCeiling {
                throw MediaError(.tooLong, String(format: "decoded audio runs longer than %.1f s", limits.maxDurationSeconds))
            }
            try resampler.convert(decoded, appendingTo: &samples)
            if samples.count > outputCeiling {
                throw MediaError(.tooLong, String(format: "decoded audio runs longer than %.1f s", limits.maxDurationSeconds))
            }
        }
        try resampler.drain(appendingTo: &samples)
        // Undecodable audio next to usable video is reported as "no audio", not as a failure:
        // the caller fails the clip only when nothing at all could be decoded.
        guard decodedFrames > 0 else { return nil }
        return AudioTrack(samples: samples, sampleRate: options.audioSampleRate, durationSeconds: inputSeconds)
    }
}
