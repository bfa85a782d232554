import Foundation
import HailongAgent
import HailongDomain
import HailongGPIO
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// A form body, each value percent-encoded byte by byte (so decomposed text arrives decomposed).
func form(_ fields: [(String, String)]) -> ByteBuffer {
    let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
    let text = fields.map { name, value in
        "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "")"
    }.joined(separator: "&")
    return ByteBuffer(string: text)
}

/// What a browser on the page sends: the router test client's requests come for `localhost`.
let ownForm: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .origin: "http://localhost"]

@Suite("The simulated board's page (/sim)")
struct SimPageTests {
    @Test("with the simulated backend: a Vietnamese page with the scale's buttons as forms, nothing fetched from elsewhere")
    func pagePresent() async throws {
        let t = try TestAgent(extra: #"counter: "Quầy 7 — Một cửa""#)
        try await t.agent.apiApplication().test(.router) { client in
            try await client.execute(uri: "/sim", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(response.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
                let html = String(buffer: response.body)
                #expect(html.contains(#"<html lang="vi">"#))
                #expect(html.contains("Quầy 7 — Một cửa"))
                #expect(html.contains(#"<meta name="viewport" content="width=device-width, initial-scale=1">"#))
                for (level, vi, en) in [(3, "Rất hài lòng", "Very satisfied"), (2, "Hài lòng", "Satisfied"), (1, "Không hài lòng", "Not satisfied")] {
                    #expect(html.contains(#"<input type="hidden" name="level" value="\#(level)">"#))
                    #expect(html.contains(">\(vi)<span class=\"en\" lang=\"en\">\(en)</span>"))
                }
                #expect(html.components(separatedBy: #"<form method="post" action="/sim/press">"#).count == 4)
                for action in ["/sim/clerk", "/sim/session"] { #expect(html.contains(#"action="\#(action)""#)) }
                // Self-contained: no script, no stylesheet or image from anywhere.
                for outside in ["<script", "src=", "<link", "http://", "https://", "@import", "url("] {
                    #expect(!html.contains(outside), "\(outside)")
                }
            }
            // The page is open to a browser (no token), the API beside it still is not.
            try await client.execute(uri: "/v1/sim/press", method: .post, headers: [.contentType: "application/json"], body: json(#"{"level":3}"#)) {
                #expect($0.status == .unauthorized)
            }
        }
    }

    @Test("with the libgpiod backend (a real board): no /sim routes at all, 404")
    func pageAbsentOnABoard() async throws {
        let dir = try temporaryDirectory()
        let token = "test-token-0123456789abcdef"
        try token.write(toFile: dir + "/token", atomically: true, encoding: .utf8)
        let yaml = """
            gpio: {backend: libgpiod, chip: gpiochip0}
            storage: {path: \(dir)/agent.db}
            api: {token_file: \(dir)/token}
            """
        // This machine has no GPIO chip: a stand-in opens the lines, the agent still believes
        // it runs on libgpiod.
        let agent = try Agent(config: AgentConfig(yaml: yaml, file: "board.yaml"), logger: Logger(label: "test")) { lines, _ in
            SimulatedBackend(buttonCount: lines.buttons.count, ledCount: lines.leds.count)
        }
        #expect(agent.simulator == nil)
        try await agent.apiApplication().test(.router) { client in
            try await client.execute(uri: "/sim", method: .get) { #expect($0.status == .notFound) }
            for path in ["/sim/press", "/sim/clerk", "/sim/clerk/signout", "/sim/session", "/sim/session/close"] {
                try await client.execute(uri: path, method: .post, headers: ownForm, body: form([("level", "3"), ("clerk", "anh")])) {
                    #expect($0.status == .notFound, "\(path)")
                }
            }
            let auth: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
            try await client.execute(uri: "/v1/sim/press", method: .post, headers: auth, body: json(#"{"level":3}"#)) {
                #expect($0.status == .notFound)
            }
            try await client.execute(uri: "/v1/status", method: .get, headers: auth) { #expect($0.status == .ok) }
        }
        #expect(try agent.log.events(after: 0, limit: 10).isEmpty)
    }

    @Test("sign in, open a session and press through the forms: 303 back to /sim, the rating in GET /v1/events, the flash on the page")
    func pressThroughTheForm() async throws {
        let t = try TestAgent()
        try await t.agent.apiApplication().test(.router) { client in
            try await client.execute(uri: "/sim/clerk", method: .post, headers: ownForm, body: form([("clerk", "anh")])) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location]?.hasPrefix("/sim?done=") == true)
            }
            // The clerk field left empty: the clerk signed in serves the dossier.
            try await client.execute(
                uri: "/sim/session", method: .post, headers: ownForm, body: form([("dossier", "000.30.25.H17-240702-0012"), ("clerk", "")])
            ) { #expect($0.status == .seeOther) }
            // Without Origin (curl, an older browser) the form is taken too.
            let location = try await client.execute(
                uri: "/sim/press", method: .post, headers: [.contentType: "application/x-www-form-urlencoded; charset=UTF-8"],
                body: form([("level", "3")])
            ) { response in
                #expect(response.status == .seeOther)
                return response.headers[.location] ?? ""
            }
            #expect(location.hasPrefix("/sim?done="))
            let listed = try await client.execute(uri: "/v1/events", method: .get, headers: t.auth) { try decode(EventsBody.self, $0.body) }
            #expect(listed.events.map(\.kind) == [.clerkSignin, .rating, .session])
            let rating = try #require(listed.events.first { $0.kind == .rating })
            #expect(rating.level == 3 && rating.binding == .dossier && rating.dossier == "000.30.25.H17-240702-0012" && rating.clerk == "anh")
            try await client.execute(uri: location, method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains(#"<p class="flash done" role="status">Đã ghi nhận (#2): «Rất hài lòng» / Very satisfied — hồ sơ 000.30.25.H17-240702-0012, cán bộ anh"#))
                #expect(html.contains("Đánh giá <span class=\"en\" lang=\"en\">Rating</span>: <strong>Rất hài lòng</strong>"))
            }
            // Closing with no session open: told so on the page, nothing stored.
            try await client.execute(uri: "/sim/session/close", method: .post, headers: ownForm, body: form([])) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location]?.hasPrefix("/sim?error=") == true)
            }
            // A level the board has no button for: refused, nothing stored.
            try await client.execute(uri: "/sim/press", method: .post, headers: ownForm, body: form([("level", "9")])) { response in
                #expect(response.headers[.location]?.hasPrefix("/sim?error=") == true)
            }
        }
        #expect(try t.events().count == 3)
    }

    @Test(
        "a POST from another origin, or not a form: refused (403 / 415) and nothing recorded",
        arguments: [
            ("http://evil.example", "application/x-www-form-urlencoded", 403),
            ("null", "application/x-www-form-urlencoded", 403),
            ("http://localhost:8730", "application/x-www-form-urlencoded", 403),  // the dashboard's port is another origin
            ("https://localhost", "application/x-www-form-urlencoded", 403),
            ("http://localhost", "application/json", 415),
            ("http://localhost", "text/plain", 415),
            ("http://localhost", "multipart/form-data; boundary=x", 415),
        ])
    func foreignOrigin(origin: String, contentType: String, status: Int) async throws {
        let t = try TestAgent()
        try await t.agent.apiApplication().test(.router) { client in
            let headers: HTTPFields = [.contentType: contentType, .origin: origin]
            for (path, body) in [
                ("/sim/clerk", [("clerk", "anh")]), ("/sim/session", [("dossier", "D-1"), ("clerk", "anh")]), ("/sim/press", [("level", "3")]),
                ("/sim/clerk/signout", []), ("/sim/session/close", []),
            ] {
                try await client.execute(uri: path, method: .post, headers: headers, body: form(body)) { response in
                    #expect(response.status.code == status, "\(path)")
                    let html = String(buffer: response.body)
                    #expect(html.contains(#"<html lang="vi">"#) && html.contains(status == 403 ? "Từ chối" : "application/x-www-form-urlencoded"))
                    if status == 403 { #expect(html.contains(htmlEscaped(origin))) }
                }
            }
        }
        #expect(try t.events().isEmpty)
        let status = await t.agent.status()
        #expect(status.clerk == nil && status.session == nil)
    }

    @Test("the Host must be an address of the board (DNS rebinding), the Origin exactly this agent's")
    func hostAndOrigin() {
        for ok in ["127.0.0.1:8731", "localhost:8731", "LOCALHOST", "192.168.1.20:8731", "[::1]:8731", "[fe80::1]", "board-7:8731"] {
            #expect(SimOrigin.namesThisBoard(ok, listenHost: "board-7"), "\(ok)")
        }
        for refused in ["evil.example:8731", "127.0.0.1.evil.example", "1.2.3:8731", "[]:8731", "[::1", "256.1.1.1", "localhost.evil.example"] {
            #expect(!SimOrigin.namesThisBoard(refused, listenHost: "127.0.0.1"), "\(refused)")
        }
        #expect(SimOrigin.isOwn("http://127.0.0.1:8731", authority: "127.0.0.1:8731"))
        #expect(SimOrigin.isOwn("HTTP://LocalHost:8731", authority: "localhost:8731"))
        #expect(!SimOrigin.isOwn("http://127.0.0.1:8730", authority: "127.0.0.1:8731"))
        #expect(!SimOrigin.isOwn("http://localhost:8731", authority: "127.0.0.1:8731"))
        #expect(!SimOrigin.isOwn("null", authority: "127.0.0.1:8731"))
        #expect(!SimOrigin.isOwn("http://127.0.0.1:8731", authority: nil))
    }

    @Test("a hostile clerk name, typed decomposed (NFD), is stored NFC and shown escaped everywhere on the page")
    func hostileClerkName() async throws {
        let t = try TestAgent()
        let hostile = #"<script>alert(1)</script> Nguye\#u{0302}\#u{0303}n Va\#u{0306}n "A""#
        let nfc = #"<script>alert(1)</script> Nguyễn Văn "A""#
        let escaped = "&lt;script&gt;alert(1)&lt;/script&gt; Nguyễn Văn &quot;A&quot;"
        try await t.agent.apiApplication().test(.router) { client in
            let signIn = try await client.execute(uri: "/sim/clerk", method: .post, headers: ownForm, body: form([("clerk", hostile)])) { response in
                #expect(response.status == .seeOther)
                return response.headers[.location] ?? ""
            }
            // The Location header stays ASCII whatever the message carries.
            #expect(signIn.unicodeScalars.allSatisfy { $0.isASCII && $0 != "<" && $0 != " " })
            try await client.execute(uri: "/sim/session", method: .post, headers: ownForm, body: form([("dossier", #"HS-<b>"1"#), ("clerk", hostile)])) {
                #expect($0.status == .seeOther)
            }
            try await client.execute(uri: "/sim/press", method: .post, headers: ownForm, body: form([("level", "2")])) { #expect($0.status == .seeOther) }
            try await client.execute(uri: "/sim/session", method: .post, headers: ownForm, body: form([("dossier", "HS-2"), ("clerk", hostile)])) {
                #expect($0.status == .seeOther)
            }
            for uri in [signIn, "/sim", "/sim?error=" + (nfc.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")] {
                try await client.execute(uri: uri, method: .get) { response in
                    let html = String(buffer: response.body)
                    #expect(html.contains(escaped), "\(uri)")
                    #expect(!html.contains("<script"), "\(uri)")
                    #expect(!html.contains(#""A""#) && !html.contains("<b>"), "\(uri)")
                }
            }
            try await client.execute(uri: "/sim", method: .get) { response in
                let html = String(buffer: response.body)
                // The clerk signed in, the session's clerk, the form's prefilled value, the events table.
                #expect(html.components(separatedBy: escaped).count - 1 >= 5)
                #expect(html.contains(#"value="&lt;script&gt;alert(1)&lt;/script&gt; Nguyễn Văn &quot;A&quot;""#))
                #expect(html.contains("HS-&lt;b&gt;&quot;1"))
            }
        }
        let stored = try t.events()
        #expect(stored.map(\.kind) == [.clerkSignin, .rating, .session])
        #expect(stored.allSatisfy { $0.clerk == nil || Array($0.clerk?.unicodeScalars ?? "".unicodeScalars) == Array(nfc.unicodeScalars) })
        #expect(stored.first { $0.kind == .rating }?.clerk == nfc)
    }
}

/// The escaping the page applies, for expectations.
func htmlEscaped(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}
