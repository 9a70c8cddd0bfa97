import Foundation

/// A fixed set of dedicated threads, each owning one context (a `ClipClassifier` and its
/// decoders), that run CPU-bound work submitted from async code.
///
/// Why threads and not tasks: classifying a clip takes tens to hundreds of milliseconds of pure
/// CPU. Run on the Swift concurrency pool (two threads on two cores) it would starve intake,
/// timers and publishing. Here the async caller suspends on a continuation while one of these
/// threads works, and the pool stays free.
///
/// Ownership: each context is touched only by its own thread, so contexts need not be
/// thread-safe (`ClipClassifier` is not). The job FIFO is guarded by `condition`.
final class ClassifierThreadPool<Context>: @unchecked Sendable {
    typealias Work = (Context) -> Void

    private let condition = NSCondition()
    // Guarded by `condition`.
    private var jobs: [Work] = []
    private var head = 0
    private var stopped = false
    private var running = 0

    /// Starts one thread per context. `name` prefixes the thread names (visible in `top -H`).
    init(contexts: [Context], name: String) {
        running = contexts.count
        for (index, context) in contexts.enumerated() {
            let box = ContextBox(context)
            let thread = Thread { [self] in self.run(box.value) }
            thread.name = "\(name)-\(index)"
            // Classification needs deep stacks in debug builds (FFmpeg + Haar + convolutions).
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Runs `body` on the next free thread with that thread's context and returns its result.
    /// Throws `CancellationError` if the pool was stopped before the job started.
    func run<T>(_ body: @escaping (Context) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            let work: Work = { context in continuation.resume(with: Result { try body(context) }) }
            condition.lock()
            if stopped {
                condition.unlock()
                continuation.resume(throwing: CancellationError())
                return
            }
            jobs.append(work)
            condition.signal()
            condition.unlock()
        }
    }

    /// Lets the threads finish the queued jobs, then end. Jobs submitted later fail.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func run(_ context: Context) {
        while true {
            condition.lock()
            while head == jobs.count && !stopped { condition.wait() }
            if head == jobs.count {
                running -= 1
                condition.unlock()
                return
            }
            let work = jobs[head]
            head += 1
            if head > 64 && head * 2 > jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            condition.unlock()
            work(context)
        }
    }
}

/// Carries a non-Sendable context to the one thread that will own it.
private final class ContextBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
