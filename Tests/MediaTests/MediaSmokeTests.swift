import XCTest
@testable import Media

final class MediaModuleTests: XCTestCase {
    func testModuleLinks() {}
}
