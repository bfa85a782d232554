import AsyncHTTPClient
import Foundation
import HailongAgent
import HailongDomain
import Testing

/// A government server behind TLS with a certificate from its own CA: the board trusts it only
/// through `uplink.ca_file`. The CA and the certificate are made with openssl; a TLS-terminating
/// proxy (python3's ssl, standing in for the site's nginx) forwards to the real server.
@Suite("HTTPS with a private CA (uplink.ca_file)")
struct PrivateCATests {
    @Test("without ca_file: a prompt, clear TLS error; with it: enrollment and forwarding over HTTPS")
    func privateCA() async throws {
        let pki = try PrivateCA()
        let server = try await LiveServer()
        try await server.run { base, client in
            guard let backendPort = URL(string: base)?.port else { throw TestFailure("no port in \(base)") }
            let proxy = try TLSProxy(pki: pki, backendPort: backendPort)
            defer { proxy.stop() }
            try await waitUntil(.seconds(20), "the TLS proxy listens") { proxy.port() != nil }
            guard let port = proxy.port() else { return }
            let https = "https://localhost:\(port)"
            let dir = try temporaryDirectory()
            let storage = dir + "/agent.db"
            let code = try await client.newBoardCode(admin: server.adminToken, counter: "Quầy 1")

            // Not trusted without the CA: the TLS message, at once (no pool retrying the
            // handshake until the connect timeout), and nothing written; the code is not used up.
            let started = ContinuousClock.now
            let untrusted: EnrollmentError?
            do throws(EnrollmentError) {
                _ = try await Enroller.enroll(server: https, code: code, storagePath: storage, caFile: "", force: false, now: .now())
                untrusted = nil
            } catch { untrusted = error }
            let elapsed = ContinuousClock.now - started
            guard case .tls(_, let reason) = untrusted else { Issue.record("expected a TLS error, got \(String(describing: untrusted))"); return }
            #expect(reason.contains("CERTIFICATE_VERIFY_FAILED"))
            #expect(elapsed < .seconds(5), "a certificate error must not wait for the 10 s connect timeout (took \(elapsed))")
            #expect(!FileManager.default.fileExists(atPath: Enrollment.path(storagePath: storage)))

            // With uplink.ca_file: enrolled over HTTPS with the same code.
            let enrollment = try await Enroller.enroll(server: https, code: code, storagePath: storage, caFile: pki.caFile, force: false, now: .now())
            #expect(enrollment.server == https && enrollment.counter == "Quầy 1")

            // And the uplink forwards over the same HTTPS with the client the agent builds.
            let clock = BoardClock()
            let log = try EventLog(path: storage, clock: clock)
            let board = TestBoard(dir: dir, log: log, clock: clock, enrollment: enrollment)
            for index in 0..<12 {
                try board.serve(dossier: "000.30.25.H17-240702-\(2000 + index)", clerk: "Trần Văn Bình", level: 1 + index % 3)
            }
            let lastSeq = try log.summary().lastSeq
            let http = try UplinkHTTP.makeClient(caFile: pki.caFile)
            let transport = HTTPUplinkTransport(client: http, server: https, token: enrollment.token)
            try await withUplink(board.uplink(transport)) {
                try await waitUntil(.seconds(30), "the backlog forwarded over HTTPS") { try log.summary().backlog == 0 }
            }
            try await http.shutdown()
            let stored = try await client.storedEvents(board: enrollment.boardId, admin: server.adminToken)
            #expect(stored.map(\.event.seq) == Array(1...lastSeq))
        }
    }
}

/// A throw-away CA and a server certificate for localhost / 127.0.0.1 it signed.
struct PrivateCA {
    let dir: String
    var caFile: String { dir + "/ca.pem" }
    var certFile: String { dir + "/server.pem" }
    var keyFile: String { dir + "/server.key" }

    init() throws {
        dir = try temporaryDirectory()
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(toFile: dir + "/san.cnf", atomically: true, encoding: .utf8)
        try openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Hailong test CA",
                    "-keyout", dir + "/ca.key", "-out", caFile)
        try openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", keyFile, "-out", dir + "/server.csr")
        try openssl("x509", "-req", "-in", dir + "/server.csr", "-CA", caFile, "-CAkey", dir + "/ca.key", "-CAcreateserial",
                    "-days", "2", "-extfile", dir + "/san.cnf", "-out", certFile)
    }

    private func openssl(_ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestFailure("openssl \(arguments.first ?? "") failed (is openssl installed?)") }
    }
}

/// `tls-proxy.py` beside this file, run with python3; it goes when its stdin closes.
final class TLSProxy: Sendable {
    private let process: Process
    private let stdin: Pipe
    private let portFile: String

    init(pki: PrivateCA, backendPort: Int) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("tls-proxy.py").path
        portFile = pki.dir + "/proxy.port"
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script, pki.certFile, pki.keyFile, String(backendPort), portFile]
        stdin = Pipe()
        process.standardInput = stdin
        try process.run()
    }

    func port() -> Int? {
        FileManager.default.contents(atPath: portFile).flatMap { Int(String(decoding: $0, as: UTF8.self)) }
    }

    func stop() {
        try? stdin.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}
