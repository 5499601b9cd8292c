import Foundation
import Synchronization
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `lorekeeper serve` started as a real process on a free loopback port.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    private(set) var port = 0
    private let output = Pipe()
    private let lock = NSLock()
    private var log = ""

    init(_ arguments: [String] = []) throws {
        process.executableURL = URL(fileURLWithPath: try Repo.executable)
        process.arguments = ["serve", "--model", try Repo.defaultModel, "--port", "0", "--data-dir", temporaryDirectory()] + arguments
        process.standardOutput = output
        process.standardError = output
        output.fileHandleForReading.readabilityHandler = { [weak self] h in
            let data = h.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.lock()
            self.log += String(decoding: data, as: UTF8.self)
            self.lock.unlock()
        }
        try process.run()
        Self.killAtExit(process.processIdentifier)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let range = text.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(text[range].split(separator: ":").last!)!
                break
            }
            guard process.isRunning else { throw TestSetupError("server exited: \(text)") }
            usleep(20_000)
        }
        guard port > 0 else { stop(); throw TestSetupError("server did not start: \(text)") }
        // Ready means the model is loaded.
        while Date() < deadline, (try? HTTP.request(port: port, "GET", "/health").status) != 200 { usleep(20_000) }
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return log
    }

    /// SIGTERM, then waits for the exit status.
    @discardableResult
    func stop(signal: Int32 = SIGTERM) -> Int32 {
        if process.isRunning { kill(process.processIdentifier, signal) }
        process.waitUntilExit()
        Self.started.withLock { $0.removeAll { $0 == process.processIdentifier } }
        output.fileHandleForReading.readabilityHandler = nil
        return process.terminationStatus
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

    /// Servers held in statics are never deinitialised: they are killed when the test process exits.
    private static let started = Mutex<[pid_t]>([])
    private static let registerExitHandler: Void = {
        atexit { ServerProcess.started.withLock { $0.forEach { kill($0, SIGKILL) } } }
    }()

    private static func killAtExit(_ pid: pid_t) {
        _ = registerExitHandler
        started.withLock { $0.append(pid) }
    }
}

/// A minimal HTTP/1.1 client over a loopback socket, so tests control the connection
/// (reading a stream chunk by chunk, closing it mid-stream).
enum HTTP {
    struct Response {
        let status: Int
        let headers: [String: String]
        let body: Data
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    final class Connection {
        let fd: Int32
        private var buffer = Data()

        init(port: Int) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(port).bigEndian)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            guard ok == 0 else { close(fd); throw TestSetupError("connect to port \(port) failed") }
            // A server that answers early (413) stops reading: sending must give up, and no read may hang a test run.
            var sendTimeout = timeval(tv_sec: 2, tv_usec: 0), receiveTimeout = timeval(tv_sec: 120, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &sendTimeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &receiveTimeout, socklen_t(MemoryLayout<timeval>.size))
        }

        func send(_ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]) {
            var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            var all = headers
            if let body { all["Content-Type"] = all["Content-Type"] ?? "application/json"; all["Content-Length"] = "\(body.count)" }
            for (k, v) in all { head += "\(k): \(v)\r\n" }
            var data = Data((head + "\r\n").utf8)
            if let body { data += body }
            data.withUnsafeBytes { raw in
                var sent = 0
                while sent < raw.count {
                    let n = Glibc.send(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                    if n <= 0 { return }
                    sent += n
                }
            }
        }

        /// Reads more bytes; false at end of stream.
        func fill() -> Bool {
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = recv(fd, &chunk, chunk.count, 0)
            guard n > 0 else { return false }
            buffer += chunk[..<n]
            return true
        }

        func readAll() -> Data {
            while fill() {}
            return buffer
        }

        /// Reads until `marker` has arrived at least `count` times.
        func read(until marker: String, count: Int = 1) -> String {
            while String(decoding: buffer, as: UTF8.self).components(separatedBy: marker).count <= count, fill() {}
            return String(decoding: buffer, as: UTF8.self)
        }

        deinit { close(fd) }
    }

    static func request(port: Int, _ method: String, _ path: String, json: Any? = nil, body: Data? = nil,
                        headers: [String: String] = [:]) throws -> Response {
        let c = try Connection(port: port)
        c.send(method, path, body: try body ?? json.map { try JSONSerialization.data(withJSONObject: $0) }, headers: headers)
        return parse(c.readAll())
    }

    static func parse(_ raw: Data) -> Response {
        guard let split = raw.range(of: Data("\r\n\r\n".utf8)) else { return Response(status: 0, headers: [:], body: raw) }
        let lines = String(decoding: raw[..<split.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let status = Int(lines[0].split(separator: " ")[1]) ?? 0
        var headers = [String: String]()
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Data(raw[split.upperBound...])
        if headers["transfer-encoding"] == "chunked" { body = dechunk(body) }
        return Response(status: status, headers: headers, body: body)
    }

    static func dechunk(_ data: Data) -> Data {
        var out = Data(), rest = data[...]
        while let lineEnd = rest.range(of: Data("\r\n".utf8)) {
            let size = Int(String(decoding: rest[..<lineEnd.lowerBound], as: UTF8.self), radix: 16) ?? 0
            if size == 0 { break }
            let start = lineEnd.upperBound
            out += rest[start..<min(rest.endIndex, start + size)]
            rest = rest[min(rest.endIndex, start + size + 2)...]
        }
        return out
    }

    /// `data:` payloads of a server-sent-events body.
    static func events(_ body: Data) -> [String] {
        String(decoding: body, as: UTF8.self).components(separatedBy: "\n").compactMap { line in
            line.hasPrefix("data: ") ? String(line.dropFirst(6)) : nil
        }
    }
}
