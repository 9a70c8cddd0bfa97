import Foundation
import Glibc

/// The write end of the self-pipe, read by the signal handler (set before any handler is
/// installed, so the handler only reads an initialised global).
nonisolated(unsafe) private var signalPipeWriteEnd: Int32 = -1

/// Delivers process signals (SIGHUP = reload, SIGTERM / SIGINT = drain) as ordinary callbacks
/// on a thread of their own, instead of running daemon code inside a signal handler
/// (DESIGN section 6).
///
/// The self-pipe trick: a `sigaction` handler does nothing but `write` the signal number to a
/// pipe (async-signal-safe); a reader thread turns bytes into `handler` calls. Unlike
/// DispatchSource signal sources on Linux, which need the signal blocked in every thread,
/// this works whichever thread the kernel picks.
///
///     let signals = try SignalWatcher(signals: [SIGHUP, SIGTERM, SIGINT]) { signal in
///         if signal == SIGHUP { reload() } else { Task { await engine.drain(); exit(0) } }
///     }
///
/// One watcher per process; keep it alive while signals should be handled. Thread safety:
/// `handler` runs on the watcher's thread, one signal at a time.
public final class SignalWatcher: @unchecked Sendable {
    private let readEnd: Int32
    private let writeEnd: Int32
    private let signals: [Int32]

    public init(signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw SignalWatcherError(errno: errno) }
        readEnd = fds[0]
        writeEnd = fds[1]
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        self.signals = signals
        // A full pipe must not block the handler: drop the byte instead.
        _ = fcntl(writeEnd, F_SETFL, fcntl(writeEnd, F_GETFL) | O_NONBLOCK)
        signalPipeWriteEnd = writeEnd
        for number in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(signalPipeWriteEnd, &byte, 1)
            }
            action.sa_flags = SA_RESTART
            sigemptyset(&action.sa_mask)
            guard sigaction(number, &action, nil) == 0 else { throw SignalWatcherError(errno: errno) }
        }
        let readEnd = self.readEnd
        let thread = Thread {
            var byte: UInt8 = 0
            while true {
                let n = read(readEnd, &byte, 1)
                if n == 1 { handler(Int32(byte)); continue }
                if n < 0 && errno == EINTR { continue }
                return // closed by cancel()
            }
        }
        thread.name = "emotiond-signals"
        thread.start()
    }

    /// Restores the default actions and stops the reader thread.
    public func cancel() {
        for number in signals { Glibc.signal(number, SIG_DFL) }
        close(writeEnd) // the reader sees end of file
    }

    /// Makes writes to a closed socket or pipe fail with EPIPE instead of killing the process.
    /// Call once at start: libmosquitto and the metrics server write to sockets.
    public static func ignoreBrokenPipes() {
        Glibc.signal(SIGPIPE, SIG_IGN)
    }
}

/// The signal pipe or handler could not be set up.
public struct SignalWatcherError: Error, Equatable {
    public var errno: Int32
}
