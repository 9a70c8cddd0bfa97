import Foundation
import Logging

/// Process-wide logging set-up for `emotiond serve`: swift-log's stream handler on stderr
/// (journald picks it up under systemd), so stdout stays free for command output.
public enum DaemonLogging {
    /// Call once, before any `Logger` is created. Later calls are ignored by swift-log's
    /// design (it traps), hence the guard.
    public static func bootstrap() {
        lock.withLock {
            guard !bootstrapped else { return }
            bootstrapped = true
            LoggingSystem.bootstrap { label in StreamLogHandler.standardError(label: label) }
        }
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var bootstrapped = false
}
