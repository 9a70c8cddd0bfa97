import Foundation

extension DaemonConfiguration {
    /// Checks ranges, cross-key rules and (when `checkingFiles`) that the files the daemon will
    /// open exist. Throws the first problem; ``problems(checkingFiles:)`` lists them all.
    public func validate(checkingFiles: Bool = true) throws {
        if let first = problems(checkingFiles: checkingFiles).first { throw first }
    }

    /// Every problem of this configuration, in key order (what `emotiond config check` prints).
    public func problems(checkingFiles: Bool = true) -> [ConfigError] {
        var out: [ConfigError] = []
        func fail(_ key: String, _ message: String, _ kind: ConfigError.Kind = .invalidValue) {
            out.append(ConfigError(key: key, kind: kind, message: message))
        }
        func range<T: Comparable>(_ key: String, _ value: T, _ r: ClosedRange<T>, _ shown: String) {
            if !r.contains(value) { fail(key, "must be \(shown), got \(value)") }
        }
        func positive(_ key: String, _ value: Double) {
            if !(value > 0) { fail(key, "must be > 0, got \(Self.formatNumber(value))") }
        }
        func existing(_ key: String, _ path: String?) {
            guard checkingFiles, let path else { return }
            if !FileManager.default.isReadableFile(atPath: path) {
                fail(key, "file \(path) does not exist or is not readable", .missingFile)
            }
        }
        func parentExists(_ key: String, _ path: String) {
            guard checkingFiles else { return }
            let parent = (path as NSString).deletingLastPathComponent
            var isDir: ObjCBool = false
            if !parent.isEmpty, !(FileManager.default.fileExists(atPath: parent, isDirectory: &isDir) && isDir.boolValue) {
                fail(key, "directory \(parent) does not exist", .missingFile)
            }
        }

        // mqtt
        if mqtt.host.isEmpty { fail("mqtt.host", "must not be empty") }
        range("mqtt.port", mqtt.port, 1...65535, "1...65535")
        if let id = mqtt.clientID, id.utf8.count > 65535 { fail("mqtt.client_id", "must be at most 65535 bytes") }
        if mqtt.password != nil && mqtt.passwordFile != nil {
            fail("mqtt.password_file", "set either mqtt.password or mqtt.password_file, not both", .conflict)
        }
        if (mqtt.password != nil || mqtt.passwordFile != nil) && mqtt.username == nil {
            fail("mqtt.username", "a password needs a user name", .conflict)
        }
        existing("mqtt.password_file", mqtt.passwordFile)
        range("mqtt.keepalive_s", mqtt.keepaliveS, 5...65535, "5...65535")
        if (mqtt.tls.certFile == nil) != (mqtt.tls.keyFile == nil) {
            fail(mqtt.tls.certFile == nil ? "mqtt.tls.cert_file" : "mqtt.tls.key_file",
                 "cert_file and key_file go together", .conflict)
        }
        if mqtt.tls.certFile != nil && mqtt.tls.caFile == nil {
            fail("mqtt.tls.ca_file", "a client certificate needs ca_file (TLS is on only with ca_file)", .conflict)
        }
        existing("mqtt.tls.ca_file", mqtt.tls.caFile)
        existing("mqtt.tls.cert_file", mqtt.tls.certFile)
        existing("mqtt.tls.key_file", mqtt.tls.keyFile)
        if let problem = TopicRouter.problem(withTopicLevel: mqtt.topicPrefix, allowSlash: true) {
            fail("mqtt.topic_prefix", problem)
        }
        if let group = mqtt.sharedGroup {
            if let problem = TopicRouter.problem(withTopicLevel: group, allowSlash: false) { fail("mqtt.shared_group", problem) }
            if mqtt.protocolVersion != .v5 {
                fail("mqtt.shared_group", "shared subscriptions need mqtt.protocol v5", .conflict)
            }
        }
        positive("mqtt.reconnect.initial_s", mqtt.reconnect.initialS)
        positive("mqtt.reconnect.max_s", mqtt.reconnect.maxS)
        if mqtt.reconnect.maxS < mqtt.reconnect.initialS {
            fail("mqtt.reconnect.max_s", "must be >= mqtt.reconnect.initial_s (\(Self.formatNumber(mqtt.reconnect.initialS))), got \(Self.formatNumber(mqtt.reconnect.maxS))")
        }
        range("mqtt.max_queued_messages", mqtt.maxQueuedMessages, 1...1_000_000, "1...1000000")

        // intake
        range("intake.max_payload_bytes", intake.maxPayloadBytes, 1...(256 * 1024 * 1024), "1...268435456 (256 MiB)")
        positive("intake.max_duration_s", intake.maxDurationS)
        if intake.maxResolution.width < 16 || intake.maxResolution.height < 16
            || intake.maxResolution.width > 8192 || intake.maxResolution.height > 8192 {
            fail("intake.max_resolution", "each side must be 16...8192, got \(intake.maxResolution)")
        }
        do { _ = try NSRegularExpression(pattern: intake.deviceIDPattern) } catch {
            fail("intake.device_id_pattern", "not a valid regular expression: \(intake.deviceIDPattern)")
        }

        // workers
        if let count = workers.count { range("workers.count", count, 1...256, "1...256 or auto") }
        range("workers.queue_capacity", workers.queueCapacity, 1...100_000, "1...100000")

        // pairing, state
        if !(pairing.windowS >= 0 && pairing.windowS <= 60) {
            fail("pairing.window_s", "must be 0...60, got \(Self.formatNumber(pairing.windowS))")
        }
        positive("state.window_s", state.windowS)
        range("state.episode_min_clips", state.episodeMinClips, 1...10_000, "1...10000")
        if !(0...1).contains(state.episodeMinConfidence) {
            fail("state.episode_min_confidence", "must be 0...1, got \(Self.formatNumber(state.episodeMinConfidence))")
        }
        positive("state.episode_timeout_s", state.episodeTimeoutS)

        // store, spool
        if store.path.isEmpty { fail("store.path", "must not be empty") } else { parentExists("store.path", store.path) }
        range("store.retention_days_clips", store.retentionDaysClips, 1...36_500, "1...36500")
        range("store.retention_days_buckets", store.retentionDaysBuckets, 1...36_500, "1...36500")
        range("store.batch_size", store.batchSize, 1...100_000, "1...100000")
        positive("store.flush_interval_s", store.flushIntervalS)
        if spool.dir.isEmpty { fail("spool.dir", "must not be empty") } else { parentExists("spool.dir", spool.dir) }

        // models
        existing("models.audio", models.audio)
        existing("models.facial", models.facial)
        existing("models.cascade", models.cascade)

        // outputs, logging
        if !(outputs.statsIntervalS >= 1) {
            fail("outputs.stats_interval_s", "must be >= 1, got \(Self.formatNumber(outputs.statsIntervalS))")
        }
        if let problem = TopicRouter.problem(withTopicLevel: outputs.homeAssistant.discoveryPrefix, allowSlash: true) {
            fail("outputs.homeassistant.discovery_prefix", problem)
        }
        range("outputs.prometheus.port", outputs.prometheus.port, 1...65535, "1...65535")
        if outputs.prometheus.bind.isEmpty { fail("outputs.prometheus.bind", "must not be empty") }
        if !Logging.levels.contains(logging.level) {
            fail("logging.level", "must be one of \(Logging.levels.joined(separator: " | ")), got \(logging.level)")
        }
        if !(drainTimeoutS >= 0) { fail("drain_timeout_s", "must be >= 0, got \(Self.formatNumber(drainTimeoutS))") }
        return out
    }
}

extension DaemonConfiguration {
    /// The keys a SIGHUP applies to a running daemon: logging level, intake limits, pairing
    /// window, state window and episode rules, retention, stats interval, drain timeout.
    /// Everything else (broker connection, topics, workers, queue, store and spool paths,
    /// models, Home Assistant, Prometheus) needs a restart.
    public static var reloadableKeys: [String] { keys.filter(\.reloadable).map(\.name) }

    /// This configuration with the live-reloadable keys taken from `new` and the others kept,
    /// i.e. what a running daemon switches to on SIGHUP. Validate `new` first.
    public func reloadable(from new: DaemonConfiguration) -> DaemonConfiguration {
        var out = self
        for key in Self.keys where key.reloadable {
            // Rendering and re-applying a valid value cannot fail.
            try? key.apply(&out, key.render(new))
        }
        return out
    }

    /// Keys whose value differs in `new` but that only a restart applies (to log a warning on SIGHUP).
    public func changesNeedingRestart(toward new: DaemonConfiguration) -> [String] {
        Self.keys.filter { !$0.reloadable && $0.render(self) != $0.render(new) }.map(\.name)
    }
}
