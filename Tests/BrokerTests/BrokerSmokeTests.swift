import XCTest
@testable import Broker

final class BrokerModuleTests: XCTestCase {
    func testModuleLinks() {}
}
