import Foundation
import HailongAgent
import HailongDomain
import HailongServer
import Testing

@Suite("hailong-agent enroll, against the real server on loopback")
struct AgentEnrollmentTests {
    @Test("a code is exchanged once for a board id and token, stored 0600 beside the database; no overwrite without force")
    func enrollOnceAndKeep() async throws {
        let server = try await LiveServer()
        try await server.run { base, client in
            let dir = try temporaryDirectory()
            let storage = dir + "/agent.db"
            let now = WallTime.now()

            // A wrong code: refused, nothing written.
            await #expect(throws: EnrollmentError.refused("unknown, expired or already used enrollment code / mã đăng ký không đúng, đã hết hạn hoặc đã dùng")) {
                try await Enroller.enroll(server: base, code: "NOPE-NOPE", storagePath: storage, caFile: "", force: false, now: now)
            }
            #expect(!FileManager.default.fileExists(atPath: Enrollment.path(storagePath: storage)))

            let code = try await client.newBoardCode(admin: server.adminToken, counter: "Quầy 1")
            let enrolled = try await Enroller.enroll(server: base + "/", code: code, storagePath: storage, caFile: "", force: false, now: now)
            #expect(enrolled.token.hasPrefix("hlb_") && enrolled.server == base && enrolled.counter == "Quầy 1")
            let path = dir + "/agent-enrollment.json"
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            #expect(try Enrollment.load(storagePath: storage) == enrolled)

            // The same code again is used up; and without --force nothing is overwritten anyway.
            await #expect(throws: EnrollmentError.alreadyEnrolled(path: path, boardId: enrolled.boardId)) {
                try await Enroller.enroll(server: base, code: code, storagePath: storage, caFile: "", force: false, now: now)
            }
            await #expect(throws: EnrollmentError.refused("unknown, expired or already used enrollment code / mã đăng ký không đúng, đã hết hạn hoặc đã dùng")) {
                try await Enroller.enroll(server: base, code: code, storagePath: storage, caFile: "", force: true, now: now)
            }
            #expect(try Enrollment.load(storagePath: storage) == enrolled)

            // --force with a fresh code replaces it.
            let second = try await client.newBoardCode(admin: server.adminToken, counter: "Quầy 2")
            let replaced = try await Enroller.enroll(server: base, code: second, storagePath: storage, caFile: "", force: true, now: now)
            #expect(replaced.boardId != enrolled.boardId)
            #expect(try Enrollment.load(storagePath: storage)?.boardId == replaced.boardId)

            // An expired code (the server's clock 25 h on): refused like an unknown one.
            let late = try await client.newBoardCode(admin: server.adminToken, counter: "Quầy 3")
            server.serverNow.withLock { $0 = WallTime.now() + .seconds(25 * 3600) }
            await #expect(throws: EnrollmentError.refused("unknown, expired or already used enrollment code / mã đăng ký không đúng, đã hết hạn hoặc đã dùng")) {
                try await Enroller.enroll(server: base, code: late, storagePath: dir + "/other/agent.db", caFile: "", force: false, now: now)
            }
            server.serverNow.withLock { $0 = nil }
        }
    }

    @Test("unreachable server, TLS against a plain-HTTP port, a bad URL and a bad CA file: each a clear message")
    func failuresAreClear() async throws {
        let server = try await LiveServer()
        try await server.run { base, _ in
            let dir = try temporaryDirectory()
            let storage = dir + "/agent.db"
            let now = WallTime.now()
            func failure(_ server: String, caFile: String = "") async -> EnrollmentError? {
                do {
                    _ = try await Enroller.enroll(server: server, code: "ABCD-EFGH", storagePath: storage, caFile: caFile, force: false, now: now)
                    return nil
                } catch { return error }
            }
            let unreachable = await failure("http://127.0.0.1:1")
            guard case .unreachable = unreachable else { Issue.record("expected unreachable, got \(String(describing: unreachable))"); return }
            #expect(unreachable?.description.contains("unreachable") == true)

            let tls = await failure(base.replacingOccurrences(of: "http://", with: "https://"))
            guard case .tls = tls else { Issue.record("expected a TLS error, got \(String(describing: tls))"); return }
            #expect(tls?.description.contains("TLS problem") == true)

            #expect(await failure("ftp://example") == .badServerURL("ftp://example"))

            try "not a certificate".write(toFile: dir + "/ca.pem", atomically: true, encoding: .utf8)
            let ca = await failure(base, caFile: dir + "/ca.pem")
            guard case .caFile = ca else { Issue.record("expected a CA file error, got \(String(describing: ca))"); return }
            #expect(await failure(base, caFile: dir + "/missing.pem") == .caFile(path: dir + "/missing.pem", reason: "missing or unreadable"))
            #expect(!FileManager.default.fileExists(atPath: dir + "/agent-enrollment.json"))
        }
    }
}
