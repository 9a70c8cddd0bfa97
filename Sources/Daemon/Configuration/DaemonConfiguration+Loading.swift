import Foundation
import Yams

extension DaemonConfiguration {
    /// Loads the configuration: defaults, then the YAML file at `path` (if any), then every
    /// `EMOTIOND_<KEY>` variable of `environment`, then `overrides` (dotted keys, as the CLI's
    /// flags give them), and validates the result with ``validate(checkingFiles:)``.
    ///
    /// Unknown keys in the file or the overrides are errors (they are usually typos). Unknown
    /// `EMOTIOND_*` variables are ignored, because the environment is shared with other tools.
    /// With `validating` false the ranges and cross-key rules are left to the caller
    /// (`emotiond config check` lists them all with ``problems(checkingFiles:)``).
    ///
    /// - Throws: ``ConfigError`` naming the key (and the file line for YAML values).
    public static func load(
        path: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        overrides: [String: String] = [:],
        checkingFiles: Bool = true,
        validating: Bool = true
    ) throws -> DaemonConfiguration {
        var config = DaemonConfiguration()
        if let path {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigError(key: nil, kind: .missingFile, message: "cannot read configuration file \(path)")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw ConfigError(key: nil, kind: .syntax, message: "\(path) is not UTF-8 text")
            }
            try config.apply(yaml: text, origin: path)
        }
        // A password given by a later source replaces a password file from an earlier one (and
        // vice versa); both in the same source is a conflict that validate() reports.
        let fileConfig = config
        for key in keys {
            if let value = environment[key.environmentName] {
                try config.set(key.name, to: value, origin: "environment \(key.environmentName)")
            }
        }
        config.dropSupersededPassword(comparedWith: fileConfig)
        let environmentConfig = config
        for (name, value) in overrides.sorted(by: { $0.key < $1.key }) {
            try config.set(name, to: value, origin: "override")
        }
        config.dropSupersededPassword(comparedWith: environmentConfig)
        if validating { try config.validate(checkingFiles: checkingFiles) }
        return config
    }

    /// If exactly one of password / password_file changed since `earlier`, the other one is
    /// the older source's and gives way.
    private mutating func dropSupersededPassword(comparedWith earlier: DaemonConfiguration) {
        let passwordChanged = mqtt.password != earlier.mqtt.password
        let fileChanged = mqtt.passwordFile != earlier.mqtt.passwordFile
        if passwordChanged && !fileChanged && mqtt.password != nil { mqtt.passwordFile = nil }
        if fileChanged && !passwordChanged && mqtt.passwordFile != nil { mqtt.password = nil }
    }

    /// Parses a YAML document and applies its keys (no validation).
    public mutating func apply(yaml text: String, origin: String = "yaml") throws {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigError(key: nil, kind: .syntax, message: "not valid YAML: \(error)", origin: origin)
        }
        guard let root else { return } // empty file: all defaults
        var seen = Set<String>()
        try walk(root, prefix: nil, origin: origin, seen: &seen)
    }

    /// Sets one dotted key from text, as an override would.
    public mutating func set(_ name: String, to value: String?, origin: String = "override") throws {
        guard let key = Self.keysByName[name] else {
            throw ConfigError(key: name, kind: .unknownKey, message: Self.unknownKeyMessage(name), origin: origin)
        }
        do {
            try key.apply(&self, value)
        } catch let error as ConfigValueError {
            throw ConfigError(key: name, kind: .invalidValue, message: error.message, origin: origin)
        }
    }

    private mutating func walk(_ node: Node, prefix: String?, origin: String, seen: inout Set<String>) throws {
        let location = { (n: Node) in n.mark.map { "\(origin):\($0.line)" } ?? origin }
        switch node {
        case .mapping(let mapping):
            if let prefix, Self.keysByName[prefix] != nil {
                throw ConfigError(key: prefix, kind: .syntax, message: "expected a single value, got a mapping",
                                  origin: location(node))
            }
            for (keyNode, valueNode) in mapping {
                guard let part = keyNode.scalar?.string, !part.isEmpty else {
                    throw ConfigError(key: prefix, kind: .syntax, message: "keys must be plain names", origin: location(keyNode))
                }
                let name = prefix.map { "\($0).\(part)" } ?? part
                guard seen.insert(name).inserted else {
                    throw ConfigError(key: name, kind: .syntax, message: "appears twice", origin: location(keyNode))
                }
                guard Self.keysByName[name] != nil || Self.sections.contains(name) else {
                    throw ConfigError(key: name, kind: .unknownKey, message: Self.unknownKeyMessage(name),
                                      origin: location(keyNode))
                }
                try walk(valueNode, prefix: name, origin: origin, seen: &seen)
            }
        case .scalar(let scalar):
            guard let prefix else {
                throw ConfigError(key: nil, kind: .syntax, message: "expected a mapping of sections at the top level",
                                  origin: location(node))
            }
            let isNull = scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
            if Self.sections.contains(prefix) {
                // `tls:` with nothing under it is an empty section, anything else is a mistake.
                guard isNull else {
                    throw ConfigError(key: prefix, kind: .syntax, message: "is a section; expected keys under it",
                                      origin: location(node))
                }
                return
            }
            try set(prefix, to: isNull ? nil : scalar.string, origin: location(node))
        case .sequence:
            throw ConfigError(key: prefix, kind: .syntax, message: "lists are not accepted here", origin: location(node))
        case .alias:
            throw ConfigError(key: prefix, kind: .syntax, message: "YAML aliases are not accepted", origin: location(node))
        }
    }

    /// "unknown key", with the closest known key as a hint.
    static func unknownKeyMessage(_ name: String) -> String {
        let candidates = keys.map(\.name) + sections
        let best = candidates.min { editDistance($0, name) < editDistance($1, name) }
        if let best, editDistance(best, name) <= max(2, name.count / 4) {
            return "unknown key (did you mean \(best)?)"
        }
        return "unknown key"
    }

    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
