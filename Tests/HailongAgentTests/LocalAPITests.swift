import Foundation
import HailongAgent
import HailongDomain
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// An agent on simulated buttons in a temp dir, its pipeline running, its API under test.
struct TestAgent {
    let agent: Agent
    let token: String
    let dir: String

    init(extra: String = "") throws {
        dir = try temporaryDirectory()
        token = "test-token-0123456789abcdef"
        try token.write(toFile: dir + "/token", atomically: true, encoding: .utf8)
        let yaml = """
            gpio: {backend: simulated, leds: {ready: 5, thanks: 6, fault: 13, 3: 16}, stuck_s: 1}
            rating: {spam_interval_s: 0}
            storage: {path: \(dir)/agent.db}
            api: {token_file: \(dir)/token}
            \(extra)
            """
        agent = try Agent(config: AgentConfig(yaml: yaml, file: "test.yaml"), clock: SystemClock(), logger: Logger(label: "test"))
        let pipeline = agent.pipeline, edges = agent.backend.edges
        Task { await pipeline.consume(edges) }
    }

    var auth: HTTPFields { [.authorization: "Bearer \(token)", .contentType: "application/json"] }

    func events() throws -> [WireEvent] { try agent.log.events(after: 0, limit: 1000).map(\.wire) }
}

func json(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

func decode<T: Decodable>(_ type: T.Type, _ buffer: ByteBuffer) throws -> T {
    try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
}

struct EventsBody: Decodable { var events: [WireEvent] }
struct ErrorBody: Decodable {
    struct Inner: Decodable { var message: String }
    var error: Inner
}
struct PressBody: Decodable {
    var result: String
    var binding: Binding?
    var reason: EventReason?
    var events: [WireEvent]
}

@Suite("The board's local API")
struct LocalAPITests {
    @Test("sign in, open a session with a decomposed (NFD) clerk name, press: the rating is bound to the dossier and the NFC clerk")
    func sessionAndPress() async throws {
        let t = try TestAgent()
        let nfd = "Nguye\u{0302}\u{0303}n Thi\u{0323} A\u{0301}nh"
        try await t.agent.apiApplication().test(.router) { client in
            try await client.execute(uri: "/v1/clerk", method: .post, headers: t.auth, body: json(#"{"clerk":"\#(nfd)"}"#)) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(
                uri: "/v1/session", method: .post, headers: t.auth, body: json(#"{"dossier":"000.30.25.H17-240702-0012","clerk":"\#(nfd)"}"#)
            ) { response in
                #expect(response.status == .created)
            }
            let status = try await client.execute(uri: "/v1/status", method: .get, headers: t.auth) { try decode(AgentStatus.self, $0.body) }
            #expect(status.session?.dossier == "000.30.25.H17-240702-0012")
            #expect(status.leds["ready"] == "blinking")
            let press = try await client.execute(uri: "/v1/sim/press", method: .post, headers: t.auth, body: json(#"{"level":3}"#)) { response in
                #expect(response.status == .ok)
                return try decode(PressBody.self, response.body)
            }
            #expect(press.result == "rated" && press.binding == .dossier)
            // Answered only after the commit: the event is already in the log.
            let stored = try t.events()
            #expect(stored.map(\.kind) == [.clerkSignin, .rating, .session])
            #expect(stored[1].dossier == "000.30.25.H17-240702-0012" && stored[1].clerk == "Nguyễn Thị Ánh" && stored[1].level == 3)
            #expect(Array(stored[1].clerk?.unicodeScalars ?? "".unicodeScalars) == Array("Nguy\u{1EC5}n Th\u{1ECB} \u{00C1}nh".unicodeScalars))
            #expect(stored[2].outcome == .rated)
            let after = try await client.execute(uri: "/v1/status", method: .get, headers: t.auth) { try decode(AgentStatus.self, $0.body) }
            #expect(after.session == nil && after.leds["thanks"] == "on" && after.leds["button3"] == "on" && after.leds["ready"] == "off")
            #expect(after.lastRating?.label?.vi == "Rất hài lòng")
            let listed = try await client.execute(uri: "/v1/events?after=1", method: .get, headers: t.auth) { try decode(EventsBody.self, $0.body) }
            #expect(listed.events.map(\.seq) == [2, 3])
        }
    }

    @Test(
        "bad requests: a clear 4xx naming the problem, and the log unchanged",
        arguments: [
            ("/v1/session", #"{"dossier":"\#(String(repeating: "9", count: 65))","clerk":"A"}"#, 400, "dossier is 65 characters long"),
            ("/v1/session", #"{"dossier":"D-1"}"#, 400, "clerk must not be empty"),
            ("/v1/session", #"{"dossier":"D-1","clerk":42}"#, 400, "clerk: wrong type"),
            ("/v1/session", #"{"dossier":"#, 400, "not valid JSON"),
            ("/v1/session", #"["dossier"]"#, 400, "wrong type"),
            ("/v1/session", #"{"dossier":"D\n1","clerk":"A"}"#, 400, "control or invisible character"),
            ("/v1/clerk", #"{}"#, 400, "clerk must not be empty"),
            ("/v1/sim/press", #"{"level":7}"#, 400, "level: 7 has no button"),
            ("/v1/sim/press", #"{}"#, 400, "level: missing"),
            ("/v1/session", #"{"dossier":"\#(String(repeating: "x", count: 20_000))","clerk":"A"}"#, 413, "larger than 16384 bytes"),
        ])
    func badInput(path: String, body: String, status: Int, message: String) async throws {
        let t = try TestAgent()
        try await t.agent.apiApplication().test(.router) { client in
            try await client.execute(uri: path, method: .post, headers: t.auth, body: json(body)) { response in
                #expect(response.status.code == status)
                let error = try decode(ErrorBody.self, response.body)
                #expect(error.error.message.contains(message), "\(error.error.message)")
            }
        }
        #expect(try t.events().isEmpty)
    }

    @Test("missing or wrong token: 401, nothing changes; /healthz needs none", arguments: ["", "Bearer wrong-token-0123456789", "Basic abc", "Bearer "])
    func tokens(header: String) async throws {
        let t = try TestAgent()
        try await t.agent.apiApplication().test(.router) { client in
            var headers: HTTPFields = [.contentType: "application/json"]
            if !header.isEmpty { headers[.authorization] = header }
            try await client.execute(uri: "/v1/clerk", method: .post, headers: headers, body: json(#"{"clerk":"A"}"#)) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
            }
            try await client.execute(uri: "/v1/events", method: .get, headers: headers) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
        }
        #expect(try t.events().isEmpty)
    }

    @Test("the bearer scheme is case-insensitive (RFC 9110)", arguments: ["bearer", "BEARER", "Bearer"])
    func schemeCase(scheme: String) async throws {
        let t = try TestAgent()
        try await t.agent.apiApplication().test(.router) { client in
            try await client.execute(uri: "/v1/status", method: .get, headers: [.authorization: "\(scheme) \(t.token)"]) { #expect($0.status == .ok) }
        }
    }

    @Test("closing with no session open, or signing out nobody: 409 and nothing stored")
    func conflicts() async throws {
        let t = try TestAgent()
        try await t.agent.apiApplication().test(.router) { client in
            try await client.execute(uri: "/v1/session", method: .delete, headers: t.auth) { #expect($0.status == .conflict) }
            try await client.execute(uri: "/v1/clerk", method: .delete, headers: t.auth) { #expect($0.status == .conflict) }
        }
        #expect(try t.events().isEmpty)
    }

    @Test("a held button becomes a line fault, the fault LED lights, release clears it")
    func stuckButton() async throws {
        let t = try TestAgent()
        try await t.agent.apiApplication().test(.router) { client in
            let press = try await client.execute(uri: "/v1/sim/press", method: .post, headers: t.auth, body: json(#"{"level":2,"holdMs":1500}"#)) {
                try decode(PressBody.self, $0.body)
            }
            #expect(press.result == "rated")
            // Wait (bounded) for the fault and then its recovery to be logged.
            var kinds: [EventKind] = []
            for _ in 0..<60 where kinds.count < 3 {
                kinds = try t.events().map(\.kind)
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(kinds == [.rating, .fault, .fault])
            #expect(try t.events().map(\.reason) == [nil, .stuck, .released])
            let status = try await client.execute(uri: "/v1/status", method: .get, headers: t.auth) { try decode(AgentStatus.self, $0.body) }
            #expect(status.faults.isEmpty && status.leds["fault"] == "off")
        }
    }

    @Test("raw edges: a bounce burst through the sim edge endpoint is one rating")
    func bounceThroughAPI() async throws {
        let t = try TestAgent()
        try await t.agent.apiApplication().test(.router) { client in
            let edges = (0..<9).map { i in #"{"level":1,"active":\#(i % 2 == 0),"afterUs":\#(i * 500)}"# }.joined(separator: ",")
            let release = #"{"level":1,"active":false,"afterUs":200000}"#
            try await client.execute(uri: "/v1/sim/edges", method: .post, headers: t.auth, body: json(#"{"edges":[\#(edges),\#(release)]}"#)) {
                #expect($0.status == .accepted)
            }
        }
        var ratings: [WireEvent] = []
        for _ in 0..<40 where ratings.isEmpty {
            try await Task.sleep(for: .milliseconds(25))
            ratings = try t.events().filter { $0.kind == .rating }
        }
        try await Task.sleep(for: .milliseconds(100))
        #expect(try t.events().filter { $0.kind == .rating }.map(\.level) == [1])
    }
}
