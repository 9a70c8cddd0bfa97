import Foundation

/// Talks to systemd for a `Type=notify` service (DESIGN section 6), without libsystemd:
/// sd_notify is one datagram of `KEY=value` lines to the socket named by `$NOTIFY_SOCKET`
/// (a path, or `@name` in the abstract namespace).
///
/// The daemon sends ``ready(status:)`` once it is connected and replaying, ``watchdog()`` every
/// ``watchdogInterval`` (half of `WatchdogSec`, from `$WATCHDOG_USEC`), ``status(_:)`` with a
/// one-line summary, and ``stopping()`` when SIGTERM starts the drain. Without `NOTIFY_SOCKET`
/// (not run by systemd) every call does nothing.
///
/// Thread safety: stateless after init; callable from any thread.
public struct SystemdNotifier: Sendable {
    /// The socket address, nil when not run under systemd notify.
    public let socketAddress: String?
    /// How often to send WATCHDOG=1 (half the configured watchdog timeout), nil when the
    /// watchdog is off or meant for another process (`WATCHDOG_PID`).
    public let watchdogInterval: TimeInterval?

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from `environment`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment,
                pid: Int32 = ProcessInfo.processInfo.processIdentifier) {
        let socket = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        socketAddress = socket
        if let usec = environment["WATCHDOG_USEC"].flatMap(UInt64.init), usec > 0,
           environment["WATCHDOG_PID"].flatMap(Int32.init).map({ $0 == pid }) ?? true {
            watchdogInterval = Double(usec) / 1_000_000 / 2
        } else {
            watchdogInterval = nil
        }
    }

    /// Whether messages go anywhere.
    public var isEnabled: Bool { socketAddress != nil }

    /// `READY=1` (plus an optional status line).
    public func ready(status: String? = nil) throws {
        try notify(["READY=1"] + (status.map { ["STATUS=\($0)"] } ?? []))
    }

    /// `WATCHDOG=1`: "still alive".
    public func watchdog() throws { try notify(["WATCHDOG=1"]) }

    /// `STOPPING=1` (plus an optional status line).
    public func stopping(status: String? = nil) throws {
        try notify(["STOPPING=1"] + (status.map { ["STATUS=\($0)"] } ?? []))
    }

    /// `RELOADING=1`, sent while a SIGHUP reload runs; follow with ``ready(status:)``.
    public func reloading() throws { try notify(["RELOADING=1"]) }

    /// `STATUS=...`: the line `systemctl status` shows.
    public func status(_ text: String) throws { try notify(["STATUS=\(text)"]) }

    /// Sends raw assignments, one per line. Newlines inside values are replaced by spaces.
    public func notify(_ assignments: [String]) throws {
        guard let socketAddress else { return }
        let text = assignments.map { $0.replacingOccurrences(of: "\n", with: " ") }.joined(separator: "\n")
        do {
            try SystemCalls.sendDatagram(Array(text.utf8), toUnixSocket: socketAddress)
        } catch let error as SystemCallError {
            throw SystemdNotifierError(socket: socketAddress, errno: error.errno)
        }
    }
}
