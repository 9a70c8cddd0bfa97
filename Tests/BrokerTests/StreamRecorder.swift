import Foundation

/// Drains a single-consumer AsyncStream into an array that tests can wait on.
final class StreamRecorder<Element: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Element] = []
    private var task: Task<Void, Never>?

    init(_ stream: AsyncStream<Element>) {
        task = Task { [weak self] in
            for await item in stream {
                guard let self else { return }
                self.lock.lock()
                self.items.append(item)
                self.lock.unlock()
            }
        }
    }

    deinit { task?.cancel() }

    var all: [Element] {
        lock.lock(); defer { lock.unlock() }
        return items
    }

    /// Polls until `predicate` holds for the recorded items or `timeout` passes.
    @discardableResult
    func wait(timeout: TimeInterval = 5, until predicate: ([Element]) -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if predicate(all) { return true }
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        return predicate(all)
    }
}
