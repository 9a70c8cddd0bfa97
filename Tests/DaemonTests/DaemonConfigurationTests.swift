import XCTest
@testable import Daemon

final class DaemonConfigurationTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("emotiond-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    private func write(_ text: String, name: String = "emotiond.yaml") throws -> String {
        let url = scratch.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    private func loadError(_ yaml: String?, environment: [String: String] = [:], overrides: [String: String] = [:],
                           file: StaticString = #filePath, line: UInt = #line) -> ConfigError? {
        do {
            _ = try DaemonConfiguration.load(path: yaml.map { try write($0) }, environment: environment,
                                             overrides: overrides, checkingFiles: false)
            XCTFail("expected a ConfigError", file: file, line: line)
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
            return nil
        }
    }

    static var shippedConfigPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("config/emotiond.yaml").path
    }

    func testDefaultsAreValid() throws {
        XCTAssertEqual(DaemonConfiguration().problems(checkingFiles: false), [])
    }

    func testShippedConfigLoadsValidatesAndMirrorsTheDefaults() throws {
        let path = Self.shippedConfigPath
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let config = try DaemonConfiguration.load(path: path, environment: [:], checkingFiles: false)
        XCTAssertEqual(config, DaemonConfiguration(), "config/emotiond.yaml must show every default unchanged")
        // Every key is present in the file (as YAML leaf names under their section).
        for key in DaemonConfiguration.keys {
            let leaf = key.name.split(separator: ".").last!
            XCTAssertTrue(text.contains("\(leaf):"), "\(key.name) is missing from config/emotiond.yaml")
        }
        // Every reloadable key is marked [reload] and no other.
        XCTAssertEqual(text.components(separatedBy: "# [reload]").count - 1, DaemonConfiguration.reloadableKeys.count)
    }

    func testYAMLEnvironmentAndOverridesApplyInThatOrder() throws {
        let path = try write("""
        mqtt:
          host: broker.local
          port: 8883
          username: cam
        workers:
          count: 3
        state:
          window_s: 30
        """)
        let config = try DaemonConfiguration.load(
            path: path,
            environment: ["EMOTIOND_MQTT_HOST": "env-broker", "EMOTIOND_MQTT_PASSWORD": "s3cret",
                          "EMOTIOND_STATE_WINDOW_S": "45", "EMOTIOND_UNRELATED": "ignored", "PATH": "/bin"],
            overrides: ["state.window_s": "90", "workers.overflow_policy": "reject_new"],
            checkingFiles: false)
        XCTAssertEqual(config.mqtt.host, "env-broker")
        XCTAssertEqual(config.mqtt.port, 8883)
        XCTAssertEqual(config.mqtt.username, "cam")
        XCTAssertEqual(try config.mqtt.resolvedPassword(), "s3cret")
        XCTAssertEqual(config.workers.count, 3)
        XCTAssertEqual(config.workers.effectiveCount, 3)
        XCTAssertEqual(config.state.windowS, 90)
        XCTAssertEqual(config.workers.overflowPolicy, .rejectNew)
    }

    func testKeyEnvironmentNames() {
        let names = Dictionary(uniqueKeysWithValues: DaemonConfiguration.keys.map { ($0.name, $0.environmentName) })
        XCTAssertEqual(names["mqtt.password_file"], "EMOTIOND_MQTT_PASSWORD_FILE")
        XCTAssertEqual(names["mqtt.tls.ca_file"], "EMOTIOND_MQTT_TLS_CA_FILE")
        XCTAssertEqual(names["drain_timeout_s"], "EMOTIOND_DRAIN_TIMEOUT_S")
        XCTAssertEqual(Set(names.values).count, names.count, "environment names must be unique")
    }

    func testOutOfRangePortNamesTheKey() {
        let error = loadError("mqtt:\n  port: 70000\n")
        XCTAssertEqual(error?.key, "mqtt.port")
        XCTAssertEqual(error?.kind, .invalidValue)
        XCTAssertEqual(error?.description, "mqtt.port: must be 1...65535, got 70000")
    }

    func testWrongTypeNamesKeyAndLine() {
        let error = loadError("mqtt:\n  host: h\n  port: eighty\n")
        XCTAssertEqual(error?.key, "mqtt.port")
        XCTAssertEqual(error?.message, "expected an integer, got \"eighty\"")
        XCTAssertTrue(error?.origin?.hasSuffix("emotiond.yaml:3") ?? false, "origin: \(String(describing: error?.origin))")
    }

    func testUnknownKeysAreErrorsWithASuggestion() {
        let typo = loadError("mqtt:\n  hots: broker\n")
        XCTAssertEqual(typo?.kind, .unknownKey)
        XCTAssertEqual(typo?.key, "mqtt.hots")
        XCTAssertEqual(typo?.message, "unknown key (did you mean mqtt.host?)")

        XCTAssertEqual(loadError("mqt:\n  host: x\n")?.key, "mqt")
        XCTAssertEqual(loadError(nil, overrides: ["workers.cout": "2"])?.kind, .unknownKey)
    }

    func testStructuralMistakes() {
        XCTAssertEqual(loadError("mqtt: broker.local\n")?.kind, .syntax)           // section given a value
        XCTAssertEqual(loadError("mqtt:\n  port:\n    x: 1\n")?.key, "mqtt.port")   // value given a mapping
        XCTAssertEqual(loadError("mqtt:\n  host: [a, b]\n")?.key, "mqtt.host")      // list
        XCTAssertEqual(loadError("mqtt:\n  host: a\n  host: b\n")?.kind, .syntax)       // duplicate key
        XCTAssertEqual(loadError("mqtt: {host: [\n")?.kind, .syntax)                // not YAML
        XCTAssertEqual(loadError("- a\n- b\n")?.kind, .syntax)
    }

    func testEmptyFileAndEmptySectionsMeanDefaults() throws {
        XCTAssertEqual(try DaemonConfiguration.load(path: write(""), environment: [:], checkingFiles: false), DaemonConfiguration())
        XCTAssertEqual(try DaemonConfiguration.load(path: write("mqtt:\n  tls:\n"), environment: [:], checkingFiles: false),
                       DaemonConfiguration())
    }

    func testEnumsBoolsAutoAndResolution() throws {
        let config = try DaemonConfiguration.load(path: write("""
        mqtt:
          protocol: v311
        workers:
          count: auto
          per_device_fairness: no
        intake:
          max_resolution: 1280x720
        logging:
          level: DEBUG
        """), environment: [:], checkingFiles: false)
        XCTAssertEqual(config.mqtt.protocolVersion, .v311)
        XCTAssertNil(config.workers.count)
        XCTAssertEqual(config.workers.effectiveCount, ProcessInfo.processInfo.activeProcessorCount)
        XCTAssertFalse(config.workers.perDeviceFairness)
        XCTAssertEqual(config.intake.maxResolution, .init(width: 1280, height: 720))
        XCTAssertEqual(config.logging.level, "debug")
        XCTAssertEqual(loadError("workers:\n  overflow_policy: drop_newest\n")?.message,
                       "must be one of drop_oldest | reject_new, got \"drop_newest\"")
        XCTAssertEqual(loadError("intake:\n  max_resolution: big\n")?.key, "intake.max_resolution")
    }

    func testCrossKeyRules() {
        XCTAssertEqual(loadError("mqtt:\n  password: a\n")?.key, "mqtt.username")
        XCTAssertEqual(loadError("mqtt:\n  username: u\n  password: a\n  password_file: /x\n")?.kind, .conflict)
        XCTAssertEqual(loadError("mqtt:\n  tls:\n    cert_file: /c\n")?.key, "mqtt.tls.key_file")
        XCTAssertEqual(loadError("mqtt:\n  shared_group: g\n  protocol: v311\n")?.key, "mqtt.shared_group")
        XCTAssertEqual(loadError("mqtt:\n  shared_group: a/b\n")?.key, "mqtt.shared_group")
        XCTAssertEqual(loadError("mqtt:\n  topic_prefix: a/#\n")?.key, "mqtt.topic_prefix")
        XCTAssertEqual(loadError("mqtt:\n  reconnect:\n    initial_s: 5\n    max_s: 1\n")?.key, "mqtt.reconnect.max_s")
        XCTAssertEqual(loadError("intake:\n  device_id_pattern: \"[a-\"\n")?.key, "intake.device_id_pattern")
        XCTAssertEqual(loadError("state:\n  episode_min_confidence: 1.5\n")?.description,
                       "state.episode_min_confidence: must be 0...1, got 1.5")
    }

    func testAllProblemsAreListed() {
        var config = DaemonConfiguration()
        config.mqtt.port = 0
        config.workers.queueCapacity = 0
        config.logging.level = "loud"
        XCTAssertEqual(config.problems(checkingFiles: false).map(\.key), ["mqtt.port", "workers.queue_capacity", "logging.level"])
    }

    func testPasswordFromALaterSourceReplacesAPasswordFile() throws {
        let secret = try write("from-file\n", name: "mqtt-password")
        let yaml = try write("mqtt:\n  username: u\n  password_file: \(secret)\n")
        let fromFile = try DaemonConfiguration.load(path: yaml, environment: [:], checkingFiles: false)
        XCTAssertEqual(try fromFile.mqtt.resolvedPassword(), "from-file")
        let fromEnv = try DaemonConfiguration.load(path: yaml, environment: ["EMOTIOND_MQTT_PASSWORD": "env"], checkingFiles: false)
        XCTAssertEqual(try fromEnv.mqtt.resolvedPassword(), "env")
        XCTAssertNil(fromEnv.mqtt.passwordFile)
        XCTAssertEqual(fromEnv.renderedKeyValues().first { $0.key == "mqtt.password" }?.value, "********")
    }

    func testFileChecksNameTheKey() throws {
        let cascade = try write("<xml/>", name: "cascade.xml")
        var config = DaemonConfiguration()
        config.models.audio = scratch.appendingPathComponent("missing.safetensors").path
        config.models.facial = cascade
        config.models.cascade = cascade
        config.store.path = scratch.appendingPathComponent("db.sqlite").path
        config.spool.dir = scratch.appendingPathComponent("spool").path
        let problems = config.problems(checkingFiles: true)
        XCTAssertEqual(problems.map(\.key), ["models.audio"])
        XCTAssertEqual(problems.first?.kind, .missingFile)

        config.models.audio = cascade
        config.store.path = "/nonexistent-dir-\(UUID().uuidString)/db.sqlite"
        XCTAssertEqual(config.problems(checkingFiles: true).map(\.key), ["store.path"])
    }

    func testReloadTakesOnlyLiveKeys() throws {
        let running = DaemonConfiguration()
        var edited = running
        edited.logging.level = "debug"
        edited.state.windowS = 10
        edited.outputs.statsIntervalS = 5
        edited.store.retentionDaysClips = 7
        edited.mqtt.host = "elsewhere"
        edited.workers.queueCapacity = 8

        let reloaded = running.reloadable(from: edited)
        XCTAssertEqual(reloaded.logging.level, "debug")
        XCTAssertEqual(reloaded.state.windowS, 10)
        XCTAssertEqual(reloaded.outputs.statsIntervalS, 5)
        XCTAssertEqual(reloaded.store.retentionDaysClips, 7)
        XCTAssertEqual(reloaded.mqtt.host, "localhost")
        XCTAssertEqual(reloaded.workers.queueCapacity, 64)
        XCTAssertEqual(running.changesNeedingRestart(toward: edited), ["mqtt.host", "workers.queue_capacity"])
        XCTAssertTrue(DaemonConfiguration.reloadableKeys.contains("logging.level"))
        XCTAssertFalse(DaemonConfiguration.reloadableKeys.contains("mqtt.port"))
    }

    func testMissingConfigFile() {
        do {
            _ = try DaemonConfiguration.load(path: "/nonexistent/emotiond.yaml", environment: [:])
            XCTFail("expected an error")
        } catch let error as ConfigError {
            XCTAssertEqual(error.kind, .missingFile)
            XCTAssertEqual(ConfigError.exitCode, 78)
        } catch {
            XCTFail("\(error)")
        }
    }
}
