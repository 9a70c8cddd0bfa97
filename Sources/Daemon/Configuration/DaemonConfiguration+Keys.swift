import Foundation

/// One settable key of ``DaemonConfiguration``: its dotted name, how to read and write it as
/// text, and whether SIGHUP may change it in a running daemon.
///
/// The table in ``DaemonConfiguration/keys`` is the single list of keys: YAML, environment and
/// overrides are all applied through it, so "unknown key" means "not in this table".
public struct ConfigKey: Sendable {
    /// Dotted name as in YAML (`mqtt.tls.ca_file`).
    public let name: String
    /// True when a SIGHUP reload applies it without a restart (see ``DaemonConfiguration/reloadable(from:)``).
    public let reloadable: Bool
    /// The current value as text, nil when unset (optional keys).
    public let render: @Sendable (DaemonConfiguration) -> String?
    /// Sets the value from text (nil = YAML null / unset). Throws a message on a bad value.
    let apply: @Sendable (inout DaemonConfiguration, String?) throws -> Void

    /// The environment variable for this key: `EMOTIOND_` + upper-cased name, dots as `_`.
    public var environmentName: String {
        "EMOTIOND_" + name.uppercased().replacingOccurrences(of: ".", with: "_")
    }
}

/// A value could not be parsed; the caller adds the key.
struct ConfigValueError: Error {
    let message: String
}

extension DaemonConfiguration {
    /// Every key, in the order of config/emotiond.yaml.
    public static let keys: [ConfigKey] = [
        string("mqtt.host", \.mqtt.host),
        int("mqtt.port", \.mqtt.port),
        optionalString("mqtt.client_id", \.mqtt.clientID),
        optionalString("mqtt.username", \.mqtt.username),
        optionalString("mqtt.password", \.mqtt.password),
        optionalString("mqtt.password_file", \.mqtt.passwordFile),
        choice("mqtt.protocol", \.mqtt.protocolVersion),
        int("mqtt.keepalive_s", \.mqtt.keepaliveS),
        optionalString("mqtt.tls.ca_file", \.mqtt.tls.caFile),
        optionalString("mqtt.tls.cert_file", \.mqtt.tls.certFile),
        optionalString("mqtt.tls.key_file", \.mqtt.tls.keyFile),
        string("mqtt.topic_prefix", \.mqtt.topicPrefix),
        optionalString("mqtt.shared_group", \.mqtt.sharedGroup),
        double("mqtt.reconnect.initial_s", \.mqtt.reconnect.initialS),
        double("mqtt.reconnect.max_s", \.mqtt.reconnect.maxS),
        int("mqtt.max_queued_messages", \.mqtt.maxQueuedMessages),

        int("intake.max_payload_bytes", \.intake.maxPayloadBytes, reloadable: true),
        double("intake.max_duration_s", \.intake.maxDurationS, reloadable: true),
        resolution("intake.max_resolution", \.intake.maxResolution, reloadable: true),
        string("intake.device_id_pattern", \.intake.deviceIDPattern, reloadable: true),

        autoInt("workers.count", \.workers.count),
        int("workers.queue_capacity", \.workers.queueCapacity),
        choice("workers.overflow_policy", \.workers.overflowPolicy),
        bool("workers.per_device_fairness", \.workers.perDeviceFairness),

        double("pairing.window_s", \.pairing.windowS, reloadable: true),

        double("state.window_s", \.state.windowS, reloadable: true),
        int("state.episode_min_clips", \.state.episodeMinClips, reloadable: true),
        double("state.episode_min_confidence", \.state.episodeMinConfidence, reloadable: true),
        double("state.episode_timeout_s", \.state.episodeTimeoutS, reloadable: true),

        string("store.path", \.store.path),
        bool("store.per_clip_rows", \.store.perClipRows),
        int("store.retention_days_clips", \.store.retentionDaysClips, reloadable: true),
        int("store.retention_days_buckets", \.store.retentionDaysBuckets, reloadable: true),
        int("store.batch_size", \.store.batchSize),
        double("store.flush_interval_s", \.store.flushIntervalS),

        string("spool.dir", \.spool.dir),

        string("models.audio", \.models.audio),
        string("models.facial", \.models.facial),
        string("models.cascade", \.models.cascade),

        double("outputs.stats_interval_s", \.outputs.statsIntervalS, reloadable: true),
        bool("outputs.homeassistant.enabled", \.outputs.homeAssistant.enabled),
        string("outputs.homeassistant.discovery_prefix", \.outputs.homeAssistant.discoveryPrefix),
        bool("outputs.prometheus.enabled", \.outputs.prometheus.enabled),
        int("outputs.prometheus.port", \.outputs.prometheus.port),
        string("outputs.prometheus.bind", \.outputs.prometheus.bind),

        choice("logging.level", \.logging.level, choices: Logging.levels, reloadable: true),

        double("drain_timeout_s", \.drainTimeoutS, reloadable: true),
    ]

    /// Keys by name.
    static let keysByName: [String: ConfigKey] = Dictionary(uniqueKeysWithValues: keys.map { ($0.name, $0) })

    /// Section names (`mqtt`, `mqtt.tls`, ...): the non-leaf nodes of the YAML tree.
    static let sections: Set<String> = {
        var out = Set<String>()
        for key in keys {
            var parts = key.name.split(separator: ".").map(String.init)
            parts.removeLast()
            while !parts.isEmpty {
                out.insert(parts.joined(separator: "."))
                parts.removeLast()
            }
        }
        return out
    }()

    /// The effective configuration as dotted key = value lines (secrets masked), for
    /// `emotiond config check --print` and the startup log.
    public func renderedKeyValues(maskingSecrets: Bool = true) -> [(key: String, value: String)] {
        Self.keys.map { key in
            var value = key.render(self) ?? "null"
            if maskingSecrets, key.name == "mqtt.password", key.render(self) != nil { value = "********" }
            return (key.name, value)
        }
    }

    // MARK: - Key constructors

    private typealias Path<T> = WritableKeyPath<DaemonConfiguration, T> & Sendable

    private static func required(_ text: String?) throws -> String {
        guard let text else { throw ConfigValueError(message: "must not be null") }
        return text
    }

    private static func string(_ name: String, _ path: Path<String>, reloadable: Bool = false) -> ConfigKey {
        ConfigKey(name: name, reloadable: reloadable, render: { $0[keyPath: path] },
                  apply: { config, text in config[keyPath: path] = try required(text) })
    }

    private static func optionalString(_ name: String, _ path: Path<String?>, reloadable: Bool = false) -> ConfigKey {
        ConfigKey(name: name, reloadable: reloadable, render: { $0[keyPath: path] },
                  apply: { config, text in
                      // An empty value (e.g. `EMOTIOND_MQTT_USERNAME=`) unsets the key.
                      config[keyPath: path] = (text?.isEmpty ?? true) ? nil : text
                  })
    }

    private static func parseInt(_ text: String) throws -> Int {
        let t = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: "")
        guard let value = Int(t) else { throw ConfigValueError(message: "expected an integer, got \(quoted(text))") }
        return value
    }

    private static func int(_ name: String, _ path: Path<Int>, reloadable: Bool = false) -> ConfigKey {
        ConfigKey(name: name, reloadable: reloadable, render: { String($0[keyPath: path]) },
                  apply: { config, text in config[keyPath: path] = try parseInt(required(text)) })
    }

    private static func autoInt(_ name: String, _ path: Path<Int?>, reloadable: Bool = false) -> ConfigKey {
        ConfigKey(name: name, reloadable: reloadable, render: { $0[keyPath: path].map(String.init) ?? "auto" },
                  apply: { config, text in
                      guard let text, text.lowercased() != "auto", !text.isEmpty else {
                          config[keyPath: path] = nil
                          return
                      }
                      do { config[keyPath: path] = try parseInt(text) } catch {
                          throw ConfigValueError(message: "expected an integer or auto, got \(quoted(text))")
                      }
                  })
    }

    private static func double(_ name: String, _ path: Path<Double>, reloadable: Bool = false) -> ConfigKey {
        ConfigKey(name: name, reloadable: reloadable, render: { formatNumber($0[keyPath: path]) },
                  apply: { config, text in
                      let t = try required(text)
                      guard let value = Double(t.trimmingCharacters(in: .whitespaces)), value.isFinite else {
                          throw ConfigValueError(message: "expected a number, got \(quoted(t))")
                      }
                      config[keyPath: path] = value
                  })
    }

    private static func bool(_ name: String, _ path: Path<Bool>, reloadable: Bool = false) -> ConfigKey {
        ConfigKey(name: name, reloadable: reloadable, render: { $0[keyPath: path] ? "true" : "false" },
                  apply: { config, text in
                      let t = try required(text)
                      switch t.lowercased() {
                      case "true", "yes", "on", "1": config[keyPath: path] = true
                      case "false", "no", "off", "0": config[keyPath: path] = false
                      default: throw ConfigValueError(message: "expected true or false, got \(quoted(t))")
                      }
                  })
    }

    private static func choice<E: RawRepresentable & CaseIterable & Sendable>(
        _ name: String, _ path: Path<E>, reloadable: Bool = false
    ) -> ConfigKey where E.RawValue == String {
        ConfigKey(name: name, reloadable: reloadable, render: { $0[keyPath: path].rawValue },
                  apply: { config, text in
                      let t = try required(text)
                      guard let value = E(rawValue: t.lowercased()) else {
                          let names = E.allCases.map(\.rawValue).joined(separator: " | ")
                          throw ConfigValueError(message: "must be one of \(names), got \(quoted(t))")
                      }
                      config[keyPath: path] = value
                  })
    }

    private static func choice(_ name: String, _ path: Path<String>, choices: [String], reloadable: Bool) -> ConfigKey {
        ConfigKey(name: name, reloadable: reloadable, render: { $0[keyPath: path] },
                  apply: { config, text in
                      let t = try required(text).lowercased()
                      guard choices.contains(t) else {
                          throw ConfigValueError(message: "must be one of \(choices.joined(separator: " | ")), got \(quoted(t))")
                      }
                      config[keyPath: path] = t
                  })
    }

    private static func resolution(_ name: String, _ path: Path<Resolution>, reloadable: Bool) -> ConfigKey {
        ConfigKey(name: name, reloadable: reloadable, render: { $0[keyPath: path].description },
                  apply: { config, text in
                      let t = try required(text)
                      guard let value = Resolution(t) else {
                          throw ConfigValueError(message: "expected WIDTHxHEIGHT (e.g. 1920x1080), got \(quoted(t))")
                      }
                      config[keyPath: path] = value
                  })
    }

    static func quoted(_ text: String) -> String { "\"\(text)\"" }

    static func formatNumber(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
