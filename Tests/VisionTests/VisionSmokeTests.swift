import XCTest
@testable import Vision

final class VisionModuleTests: XCTestCase {
    func testModuleLinks() {}
}
