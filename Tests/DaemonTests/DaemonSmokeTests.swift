import XCTest
@testable import Daemon

final class DaemonModuleTests: XCTestCase {
    func testModuleLinks() {}
}
