import ArgumentParser
import Daemon
import Foundation

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the daemon: clips from MQTT in, emotion events out.",
        discussion: """
        Loads the configuration (defaults < --config FILE < EMOTIOND_* environment < --set), loads \
        the models, opens the statistics database and the spool, connects to the broker and serves \
        until SIGTERM or SIGINT. SIGHUP re-reads the configuration (keys marked [reload] apply live). \
        On SIGTERM the queue drains for at most drain_timeout_s, `<prefix>/available` turns offline \
        and the exit status is 0. A configuration problem (bad value, unreadable model, missing \
        cascade, unwritable store) prints the key and exits with 78 (EX_CONFIG). Logs go to stderr. \
        See docs/MQTT.md for the topics and docs/OPERATIONS.md for running it under systemd.

        Examples:
          emotiond serve --config /etc/emotiond/emotiond.yaml
          emotiond serve --config emotiond.yaml --set mqtt.port=1884 --set logging.level=debug
        """)

    @Option(help: ArgumentHelp("YAML configuration file.", valueName: "file"))
    var config: String?

    @Option(name: .customLong("set"), parsing: .singleValue,
            help: ArgumentHelp("Override one key (repeatable), e.g. --set mqtt.host=broker.", valueName: "key=value"))
    var overrides: [String] = []

    func run() throws {
        DaemonLogging.bootstrap()
        // libmosquitto and the metrics server write to sockets: a peer that went away must be
        // an EPIPE error, not a fatal signal.
        SignalWatcher.ignoreBrokenPipes()
        let overrides = try ConfigOverrides.parse(self.overrides)
        let path = config
        let load: @Sendable () throws -> DaemonConfiguration = {
            try DaemonConfiguration.load(path: path, overrides: overrides)
        }
        let service: DaemonService
        do {
            service = try DaemonService(configuration: try load(), reloadSource: load)
        } catch let error as ConfigError {
            printError("configuration error: \(error)")
            throw ExitCode(ConfigError.exitCode)
        }
        let signals = try SignalWatcher(signals: [SIGHUP, SIGTERM, SIGINT]) { signal in
            if signal == SIGHUP { service.reload() } else { service.requestStop() }
        }
        // ArgumentParser runs this synchronous command on the main thread; the service runs on
        // the concurrency pool and the main thread waits for its exit status.
        let done = DispatchSemaphore(value: 0)
        let status = StatusBox()
        Task {
            status.value = await service.run()
            done.signal()
        }
        done.wait()
        signals.cancel()
        if status.value != 0 { throw ExitCode(status.value) }
    }
}

/// The exit status handed from the service task to the main thread (written before the
/// semaphore is signalled, read after it).
private final class StatusBox: @unchecked Sendable {
    var value: Int32 = 0
}

/// `--set key=value` arguments as the configuration loader's overrides.
enum ConfigOverrides {
    static func parse(_ items: [String]) throws -> [String: String] {
        var out: [String: String] = [:]
        for item in items {
            guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                throw ValidationError("--set expects key=value, got \(item)")
            }
            out[String(item[..<eq])] = String(item[item.index(after: eq)...])
        }
        return out
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data("emotiond: \(text)\n".utf8))
}
