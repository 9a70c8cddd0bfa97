import XCTest
@testable import Daemon

final class WorkQueueTests: XCTestCase {
    private func drain(_ queue: WorkQueue<String>) -> [String] {
        var out: [String] = []
        while let item = queue.tryNext() { out.append(item) }
        return out
    }

    func testRoundRobinAcrossDevices() {
        let queue = WorkQueue<String>(capacity: 100)
        for i in 1...4 { queue.enqueue("a\(i)", device: "a") }
        for i in 1...2 { queue.enqueue("b\(i)", device: "b") }
        queue.enqueue("c1", device: "c")
        XCTAssertEqual(queue.depth, 7)
        XCTAssertEqual(drain(queue), ["a1", "b1", "c1", "a2", "b2", "a3", "a4"])
        XCTAssertEqual(queue.depth, 0)
    }

    func testFIFOWithoutFairness() {
        let queue = WorkQueue<String>(capacity: 100, perDeviceFairness: false)
        for (item, device) in [("a1", "a"), ("a2", "a"), ("b1", "b"), ("a3", "a")] { queue.enqueue(item, device: device) }
        XCTAssertEqual(drain(queue), ["a1", "a2", "b1", "a3"])
    }

    func testDropOldestEvictsFromTheBusiestDevice() {
        let queue = WorkQueue<String>(capacity: 4, policy: .dropOldest)
        queue.enqueue("b1", device: "b")
        for i in 1...3 { queue.enqueue("a\(i)", device: "a") }
        guard case .acceptedDropping(let evicted, let device) = queue.enqueue("c1", device: "c") else {
            return XCTFail("expected an eviction")
        }
        XCTAssertEqual(evicted, "a1")   // oldest of the device with most items, not b1 (oldest overall)
        XCTAssertEqual(device, "a")
        XCTAssertEqual(queue.depth, 4)
        XCTAssertEqual(queue.deviceCounters["a"]?.dropped, 1)
        XCTAssertEqual(queue.deviceCounters["b"]?.dropped, 0)
        XCTAssertEqual(drain(queue), ["b1", "a2", "c1", "a3"])
    }

    func testDropOldestWithoutFairnessEvictsOldestOverall() {
        let queue = WorkQueue<String>(capacity: 2, policy: .dropOldest, perDeviceFairness: false)
        queue.enqueue("b1", device: "b")
        queue.enqueue("a1", device: "a")
        guard case .acceptedDropping(let evicted, _) = queue.enqueue("a2", device: "a") else { return XCTFail() }
        XCTAssertEqual(evicted, "b1")
        XCTAssertEqual(drain(queue), ["a1", "a2"])
    }

    func testRejectNewKeepsTheQueueAndCounts() {
        let queue = WorkQueue<String>(capacity: 2, policy: .rejectNew)
        queue.enqueue("a1", device: "a")
        queue.enqueue("a2", device: "a")
        guard case .rejectedFull(let refused) = queue.enqueue("b1", device: "b") else { return XCTFail("expected a rejection") }
        XCTAssertEqual(refused, "b1")
        XCTAssertEqual(queue.deviceCounters["b"], .init(enqueued: 0, dropped: 0, rejected: 1, queued: 0))
        XCTAssertEqual(queue.deviceCounters["a"], .init(enqueued: 2, dropped: 0, rejected: 0, queued: 2))
        XCTAssertEqual(drain(queue), ["a1", "a2"])
    }

    func testWaitingWorkersGetItemsAndCloseDrainsThenEnds() async {
        let queue = WorkQueue<Int>(capacity: 10)
        let consumer = Task { () -> [Int] in
            var got: [Int] = []
            while let item = await queue.next() { got.append(item) }
            return got
        }
        // Give the worker time to wait on an empty queue, then feed it.
        try? await Task.sleep(nanoseconds: 50_000_000)
        for i in 0..<5 { queue.enqueue(i, device: "d\(i % 2)") }
        try? await Task.sleep(nanoseconds: 50_000_000)
        queue.enqueue(5, device: "d0")
        queue.close()
        guard case .rejectedClosed(7) = queue.enqueue(7, device: "d0") else { return XCTFail("closed queue must refuse") }
        let got = await consumer.value
        XCTAssertEqual(got.sorted(), [0, 1, 2, 3, 4, 5])
        let afterClose = await queue.next()
        XCTAssertNil(afterClose)
    }

    func testSeveralWorkersShareTheItemsExactlyOnce() async {
        let queue = WorkQueue<Int>(capacity: 1000)
        let workers = (0..<4).map { _ in
            Task { () -> [Int] in
                var got: [Int] = []
                while let item = await queue.next() { got.append(item) }
                return got
            }
        }
        for i in 0..<500 { queue.enqueue(i, device: "d\(i % 7)") }
        queue.close()
        var all: [Int] = []
        for worker in workers { all += await worker.value }
        XCTAssertEqual(all.sorted(), Array(0..<500))
    }

    func testRemoveAllReturnsWhatIsLeftInArrivalOrder() {
        let queue = WorkQueue<String>(capacity: 10)
        queue.enqueue("a1", device: "a")
        queue.enqueue("b1", device: "b")
        queue.enqueue("a2", device: "a")
        queue.close()
        XCTAssertEqual(queue.removeAll(), ["a1", "b1", "a2"])
        XCTAssertEqual(queue.depth, 0)
        XCTAssertEqual(queue.deviceCounters["a"]?.queued, 0)
    }
}
