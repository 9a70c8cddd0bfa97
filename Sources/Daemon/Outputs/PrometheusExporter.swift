import Foundation

/// Serves the Prometheus text exposition at `GET /metrics` (DESIGN section 4; off by default,
/// `outputs.prometheus.*`). A deliberately small HTTP/1.0-style server: one thread, one
/// request per connection, 2 s read/write timeouts, requests capped at 8 KiB, so a slow or
/// hostile client can delay a scrape but not grow memory or block the daemon.
///
/// Thread safety: `start` and `stop` from any thread; the accept loop owns its own thread.
public final class PrometheusExporter: @unchecked Sendable {
    public let bind: String
    /// The port actually bound (useful with port 0); nil before ``start()``.
    public private(set) var port: Int?
    private let render: @Sendable () -> String
    private let lock = NSLock()
    private var listener: Int32?

    /// - Parameters:
    ///   - bind: numeric address (`127.0.0.1`, `::1`, `0.0.0.0`).
    ///   - port: TCP port; 0 picks a free one.
    ///   - render: the metrics text (``StatsCollector/prometheusText(queueCapacity:)``).
    public init(bind: String, port: Int, render: @escaping @Sendable () -> String) {
        self.bind = bind
        self.port = port
        self.render = render
    }

    /// Binds and starts serving. Throws ``PrometheusExporterError`` when the address is unusable.
    public func start() throws {
        let bound: (fd: Int32, port: Int)
        do {
            bound = try SystemCalls.listenTCP(host: bind, port: port ?? 0)
        } catch let error as SystemCallError {
            throw PrometheusExporterError(address: "\(bind):\(port ?? 0)", errno: error.errno)
        }
        lock.withLock {
            listener = bound.fd
            port = bound.port
        }
        let thread = Thread { [self] in serve(bound.fd) }
        thread.name = "emotiond-metrics"
        thread.start()
    }

    /// Stops serving and closes the port.
    public func stop() {
        let fd = lock.withLock { () -> Int32? in
            defer { listener = nil }
            return listener
        }
        if let fd { SystemCalls.shutdownAndClose(fd) }
    }

    private func serve(_ fd: Int32) {
        while let client = SystemCalls.accept(fd) {
            respond(client)
        }
    }

    private func respond(_ client: Int32) {
        let request = SystemCalls.readRequest(client)
        let line = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self)
        let parts = line.split(separator: " ")
        let status: String
        var body = ""
        var type = "text/plain; charset=utf-8"
        if parts.count >= 2, parts[0] == "GET", parts[1] == "/metrics" || parts[1].hasPrefix("/metrics?") {
            status = "200 OK"
            body = render()
            type = "text/plain; version=0.0.4; charset=utf-8"
        } else if parts.count >= 2, parts[0] != "GET" {
            status = "405 Method Not Allowed"
            body = "only GET /metrics\n"
        } else {
            status = "404 Not Found"
            body = "see /metrics\n"
        }
        let bytes = Array(body.utf8)
        let head = "HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(bytes.count)\r\nConnection: close\r\n\r\n"
        let response = Array(head.utf8) + bytes
        response.withUnsafeBytes { try? SystemCalls.sendAll(client, $0) }
        // Lingering close: closing with unread input makes the kernel send a reset, which can
        // destroy the response before the client reads it. Half-close, then discard a bounded
        // amount of what the client still sends.
        SystemCalls.lingeringClose(client)
    }
}

/// The metrics port could not be opened.
public struct PrometheusExporterError: Error, Equatable, CustomStringConvertible {
    public var address: String
    public var errno: Int32
    public var description: String { "cannot serve metrics on \(address): \(String(cString: strerror(errno)))" }
}
