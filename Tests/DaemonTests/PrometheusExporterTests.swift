import XCTest
import Glibc
@testable import Daemon

final class PrometheusExporterTests: XCTestCase {
    /// A plain TCP client: sends `request`, returns everything the server sends back.
    private func exchange(port: Int, _ request: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw SystemCallError(call: "connect", path: "127.0.0.1:\(port)", errno: errno) }
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    func testServesMetricsOverRealTCP() throws {
        let stats = StatsCollector(clock: ManualClock())
        stats.recordClip(device: "cam", latencyMS: 80)
        let exporter = PrometheusExporter(bind: "127.0.0.1", port: 0) { stats.prometheusText(queueCapacity: 64) }
        try exporter.start()
        defer { exporter.stop() }
        let port = try XCTUnwrap(exporter.port)
        XCTAssertGreaterThan(port, 0)

        let ok = try exchange(port: port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertTrue(ok.hasPrefix("HTTP/1.1 200 OK\r\n"), ok)
        XCTAssertTrue(ok.contains("Content-Type: text/plain; version=0.0.4"))
        XCTAssertTrue(ok.contains("emotiond_clips_total{device=\"cam\"} 1\n"))
        let body = ok.components(separatedBy: "\r\n\r\n").last!
        XCTAssertTrue(ok.contains("Content-Length: \(body.utf8.count)\r\n"))

        XCTAssertTrue(try exchange(port: port, "GET / HTTP/1.1\r\n\r\n").hasPrefix("HTTP/1.1 404"))
        XCTAssertTrue(try exchange(port: port, "POST /metrics HTTP/1.1\r\n\r\n").hasPrefix("HTTP/1.1 405"))
        XCTAssertTrue(try exchange(port: port, String(repeating: "A", count: 20_000)).hasPrefix("HTTP/1.1 404"), "oversized garbage")
    }

    func testStopClosesThePortAndBadAddressesAreTypedErrors() throws {
        let exporter = PrometheusExporter(bind: "127.0.0.1", port: 0) { "" }
        try exporter.start()
        let port = try XCTUnwrap(exporter.port)
        exporter.stop()
        XCTAssertThrowsError(try exchange(port: port, "GET /metrics HTTP/1.1\r\n\r\n"))

        XCTAssertThrowsError(try PrometheusExporter(bind: "not-an-address", port: 0) { "" }.start()) { error in
            XCTAssertTrue(error is PrometheusExporterError)
        }
    }

    /// A client that resets the connection mid-response must cost an EPIPE, not a SIGPIPE
    /// (which would kill this test process), and the server keeps serving.
    func testClientResetMidResponseDoesNotKillTheProcess() throws {
        let big = String(repeating: "emotiond_padding 1\n", count: 200_000) // ~3.8 MB
        let exporter = PrometheusExporter(bind: "127.0.0.1", port: 0) { big }
        try exporter.start()
        defer { exporter.stop() }
        let port = try XCTUnwrap(exporter.port)
        for _ in 0..<3 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = UInt16(port).bigEndian
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            _ = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            _ = "GET /metrics HTTP/1.1\r\n\r\n".withCString { send(fd, $0, strlen($0), 0) }
            var buffer = [UInt8](repeating: 0, count: 1024)
            _ = recv(fd, &buffer, buffer.count, 0) // the server is now writing
            var reset = linger(l_onoff: 1, l_linger: 0)
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, socklen_t(MemoryLayout<linger>.size))
            close(fd) // RST
        }
        usleep(200_000)
        let response = try exchange(port: port, "GET /metrics HTTP/1.1\r\n\r\n")
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 200 OK"))
        XCTAssertEqual(response.components(separatedBy: "\r\n\r\n").last?.utf8.count, big.utf8.count)
    }
}
