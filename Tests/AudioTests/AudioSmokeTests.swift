import XCTest
@testable import Audio

final class AudioModuleTests: XCTestCase {
    func testModuleLinks() {}
}
