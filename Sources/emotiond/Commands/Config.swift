import ArgumentParser
import Daemon
import Foundation

struct Config: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Configuration tools.",
        subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a configuration file and print the effective configuration.",
            discussion: """
            Applies the file, the EMOTIOND_* environment and --set overrides exactly as `serve` does, \
            then checks every value, cross-key rule and file (models, cascade, TLS files, password \
            file, store and spool directories) and loads the models and the face detector once. \
            Prints every problem as `key: message (origin)` and exits with 78 (EX_CONFIG) if there \
            is any; otherwise prints the effective configuration, one `key: value` per line with \
            secrets masked, and exits 0.

            Examples:
              emotiond config check /etc/emotiond/emotiond.yaml
              emotiond config check --config emotiond.yaml --set mqtt.port=1884
            """)

        @Argument(help: ArgumentHelp("YAML configuration file.", valueName: "file"))
        var file: String?

        @Option(help: ArgumentHelp("YAML configuration file (same as the argument; as in the systemd unit).", valueName: "file"))
        var config: String?

        @Option(name: .customLong("set"), parsing: .singleValue,
                help: ArgumentHelp("Override one key (repeatable).", valueName: "key=value"))
        var overrides: [String] = []

        func validate() throws {
            if file != nil && config != nil { throw ValidationError("give the file once (argument or --config)") }
        }

        func run() throws {
            let overrides = try ConfigOverrides.parse(self.overrides)
            let loaded: DaemonConfiguration
            do {
                // Parse only; every range, rule and file problem is listed below, not just the first.
                loaded = try DaemonConfiguration.load(path: file ?? config, overrides: overrides, validating: false)
            } catch let error as ConfigError {
                printError("\(error)")
                throw ExitCode(ConfigError.exitCode)
            }
            var problems = loaded.problems(checkingFiles: true)
            if problems.isEmpty {
                // Load the models as serve will: a corrupt or foreign file is caught here too.
                do { try PipelineClipProcessor.verifyModels(loaded) } catch let error as ConfigError {
                    problems.append(error)
                }
            }
            if !problems.isEmpty {
                for problem in problems { printError("\(problem)") }
                throw ExitCode(ConfigError.exitCode)
            }
            for (key, value) in loaded.renderedKeyValues(maskingSecrets: true) { print("\(key): \(value)") }
        }
    }
}
