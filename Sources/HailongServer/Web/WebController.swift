import Foundation
import HailongDomain
import Hummingbird
import Logging
import Mustache
import NIOCore

/// The managers' dashboard (DESIGN §11): server-rendered pages beside the JSON API, in the
/// style of hummingbird-examples' `html-form` — one method per route, view models per page in
/// `Pages/`, templates in `Templates/`, charts as SVG geometry in `Charts/`. Scoped exactly like
/// the API (`Authenticator.scope`); a session cookie authorises these pages and nothing else.
struct WebController: Sendable {
    let server: ServerContext
    let reports: SatisfactionReport
    let library: MustacheLibrary
    let sessions: WebSessions

    init(server: ServerContext, reports: SatisfactionReport) throws {
        self.server = server
        self.reports = reports
        library = try WebTemplates.library()
        sessions = WebSessions(server: server)
    }

    func register(_ router: Router<ServerRequestContext>) {
        router.get("/static/app.css") { _, _ in Self.asset(Stylesheet.css, type: "text/css; charset=utf-8") }
        router.get("/static/live.js") { _, _ in Self.asset(LiveScript.js, type: "text/javascript; charset=utf-8") }
        router.get("/static/icon.svg") { _, _ in Self.asset(Stylesheet.icon, type: "image/svg+xml") }
        router.get("/favicon.ico") { _, _ in Response(status: .seeOther, headers: [.location: "/static/icon.svg"]) }
        let pages = router.group().add(middleware: WebErrorMiddleware(web: self))
        pages.get("/login", use: loginForm)
        pages.post("/login", use: login)
        pages.post("/logout", use: logout)
        pages.get("/", use: home)
        pages.get("/units/{code}", use: overview)
        pages.get("/units/{code}/live", use: live)
        pages.get("/units/{code}/clerks", use: clerks)
        pages.get("/units/{code}/counters", use: counters)
        pages.get("/units/{code}/heatmap", use: heatmap)
        pages.get("/units/{code}/report.csv", use: reportCSV)
        pages.get("/units/{code}/children.csv", use: childrenCSV)
        pages.get("/boards", use: boards)
        pages.get("/boards.csv", use: boardsCSV)
        pages.get("/alerts", use: alerts)
        pages.get("/alerts.csv", use: alertsCSV)
        pages.post("/alerts/{id}/ack", use: acknowledge)
        pages.get("/dossiers", use: dossier)
        pages.get("/dossiers.csv", use: dossierCSV)
    }

    // MARK: Sign-in

    struct LoginForm: Decodable {
        var username: String?
        var password: String?
        var csrf: String?
        var next: String?
    }

    struct LoginPage {
        var lang: String
        var title: String
        var otherLang: String
        var langHref: String
        var langLabel: String
        var t: [String: String]
        var csrf: String
        var next: String
        var username: String
        var message: String?
    }

    /// `GET /login`: the form, with a fresh CSRF token in a cookie of its own and in the form.
    @Sendable func loginForm(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let next = Self.safeNext(request.uri.queryParameters.get("next"))
        let message: String? = request.uri.queryParameters.get("expired") != nil ? WebText(language: language(request).0)["loginExpired"] : nil
        return loginPage(request, context: context, status: .ok, username: "", next: next, message: message)
    }

    private func loginPage(
        _ request: Request, context: ServerRequestContext, status: HTTPResponse.Status, username: String, next: String, message: String?,
        headers: HTTPFields = [:]
    ) -> Response {
        let (language, languageCookie) = language(request)
        let text = WebText(language: language)
        let token = Secret.token(prefix: "")
        // The form's own switch keeps `next` (a failed POST has it only in its body).
        let other = language.other
        let page = LoginPage(
            lang: language.rawValue, title: text["signIn"], otherLang: other.rawValue,
            langHref: "/login?" + WebLinks.query([("lang", other.rawValue)] + (next == "/" ? [] : [("next", next)])),
            langLabel: other.ownName, t: text.all, csrf: token, next: next, username: username, message: message)
        var response = html(library.render(page, withTemplate: "login") ?? "", status: status)
        for field in headers { response.headers.append(field) }
        let secure = server.cameOverHTTPS(request, context)
        response.setCookie(Cookie(name: WebSessions.loginCookie, value: token, path: "/login", secure: secure, httpOnly: true, sameSite: .strict))
        if let languageCookie { response.setCookie(languageCookie) }
        return response
    }

    /// `POST /login`: checked like the API's login (throttled, bcrypt off the event loop); a
    /// form without the CSRF token its `GET` handed out is refused with 403.
    @Sendable func login(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let form = try await Self.form(LoginForm.self, request)
        guard WebSessions.tokensMatch(form.csrf, request.cookies[WebSessions.loginCookie]?.value ?? "") else {
            throw WebError.csrf
        }
        let next = Self.safeNext(form.next)
        let username = form.username ?? ""
        let (language, _) = language(request)
        let text = WebText(language: language)
        let account: Account
        do {
            account = try await server.signIn(
                username: username, password: form.password ?? "", address: server.clientAddress(request, context), request: request)
        } catch let error as APIError where [.unauthorized, .tooManyRequests, .serviceUnavailable].contains(error.status) {
            let message: String
            switch error.status {
            case .tooManyRequests: message = text["loginThrottled"].replacingOccurrences(of: "{s}", with: error.headers[.retryAfter] ?? "60")
            case .serviceUnavailable: message = text["loginBusy"]
            default: message = text["loginFailed"]
            }
            var headers: HTTPFields = [:]
            if let retry = error.headers[.retryAfter] { headers[.retryAfter] = retry }
            return loginPage(request, context: context, status: error.status, username: username, next: next, message: message, headers: headers)
        }
        let secure = server.cameOverHTTPS(request, context)
        var response = Response(status: .seeOther, headers: [.location: next, .cacheControl: "no-store"])
        response.setCookie(try await sessions.start(account, secure: secure))
        response.setCookie(WebSessions.clearing(WebSessions.loginCookie, path: "/login", secure: secure))
        server.logger.info("dashboard sign-in", metadata: ["username": "\(account.username)"])
        return response
    }

    /// `POST /logout`: ends the session in the store (every replica at once).
    @Sendable func logout(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let form = try await Self.form(CSRFForm.self, request)
        guard case .active(let session) = try await sessions.current(request) else {
            return Response(status: .seeOther, headers: [.location: "/login"])
        }
        guard WebSessions.tokensMatch(form.csrf, session.csrf) else { throw WebError.csrf }
        try await sessions.end(session)
        var response = Response(status: .seeOther, headers: [.location: "/login", .cacheControl: "no-store"])
        response.setCookie(WebSessions.clearing(WebSessions.cookie, secure: server.cameOverHTTPS(request, context)))
        return response
    }

    struct CSRFForm: Decodable {
        var csrf: String?
        var comment: String?
        var unit: String?
    }

    /// `GET /`: the account's own unit (an admin's: the root), or the boards for a technician.
    @Sendable func home(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let visit = try await visit(request)
        let location: String
        switch visit.account.role {
        case .technician: location = "/boards"
        case .manager:
            guard let unit = visit.account.unit else { throw APIError.forbidden("manager without a unit") }
            location = WebLinks.unit(unit)
        case .admin:
            let units = try await server.store.units()
            if let own = visit.account.unit {
                location = WebLinks.unit(own)
            } else if let root = units.first(where: { $0.parent == nil }) {
                location = WebLinks.unit(root.code)
            } else {
                location = "/boards"
            }
        }
        return Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    // MARK: Shared steps

    /// The signed-in visit, or a redirect to the form (an expired session says so there).
    func visit(_ request: Request) async throws -> WebVisit {
        let (language, cookie) = language(request)
        switch try await sessions.current(request) {
        case .active(let session): return WebVisit(session: session, request: request, language: language, languageCookie: cookie)
        case .expired: throw WebError.signIn(next: Self.pathAndQuery(request), expired: true)
        case .none: throw WebError.signIn(next: Self.pathAndQuery(request), expired: false)
        }
    }

    /// `?lang=` (remembered in a cookie), else the cookie, else Vietnamese.
    func language(_ request: Request) -> (WebLanguage, Cookie?) {
        if let asked = request.uri.queryParameters.get("lang").flatMap(WebLanguage.init(rawValue:)) {
            return (asked, Cookie(name: WebSessions.languageCookie, value: asked.rawValue, maxAge: 365 * 86_400, path: "/", httpOnly: true, sameSite: .lax))
        }
        return (request.cookies[WebSessions.languageCookie].flatMap { WebLanguage(rawValue: $0.value) } ?? .vi, nil)
    }

    /// A POST body, form-encoded, at most 64 KiB.
    static func form<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: 64 << 10) } catch {
            throw APIError(.contentTooLarge, "tooLarge", "form larger than 64 KiB")
        }
        guard let text = String(validating: buffer.readableBytesView, as: UTF8.self) else {
            throw APIError.badRequest("the form is not UTF-8")
        }
        do { return try URLEncodedFormDecoder().decode(T.self, from: text) } catch {
            throw APIError.badRequest("the form could not be read")
        }
    }

    /// Only a path on this server (never `//elsewhere` or a scheme) is a place to go back to.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"), next.utf8.count <= 1000,
            !next.unicodeScalars.contains(where: { $0.value < 0x20 })
        else { return "/" }
        return next
    }

    static func pathAndQuery(_ request: Request) -> String {
        request.uri.query.map { request.uri.path + "?" + $0 } ?? request.uri.path
    }

    /// A rendered page, with the headers every page carries: nothing may load from elsewhere
    /// (CSP), nothing is cached, no framing.
    func html(_ body: String, status: HTTPResponse.Status = .ok, visit: WebVisit? = nil) -> Response {
        var response = Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy:
                    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
                .xContentTypeOptions: "nosniff", .referrerPolicy: "same-origin",
            ],
            body: .init(byteBuffer: ByteBuffer(string: body)))
        if let cookie = visit?.languageCookie { response.setCookie(cookie) }
        return response
    }

    func render(_ page: Any, template: String, visit: WebVisit, status: HTTPResponse.Status = .ok) -> Response {
        html(library.render(page, withTemplate: template) ?? "", status: status, visit: visit)
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=3600", .xContentTypeOptions: "nosniff"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func csv(_ text: String, filename: String) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=utf-8", .cacheControl: "no-store",
                .contentDisposition: "attachment; filename=\"\(String(filename.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "_" }))\"",
            ],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    struct ErrorPage {
        var lang: String
        var title: String
        var t: [String: String]
        var status: Int
        var heading: String
        var message: String
    }

    func errorPage(_ request: Request, status: HTTPResponse.Status, message: String) -> Response {
        let (language, _) = language(request)
        let text = WebText(language: language)
        let heading: String
        switch status {
        case .forbidden: heading = text["forbidden"]
        case .notFound: heading = text["notFound"]
        case .badRequest, .unprocessableContent, .contentTooLarge: heading = text["badRequest"]
        case .serviceUnavailable: heading = text["unavailable"]
        default: heading = text["failed"]
        }
        let page = ErrorPage(lang: language.rawValue, title: "\(status.code) \(heading)", t: text.all, status: Int(status.code), heading: heading, message: message)
        return html(library.render(page, withTemplate: "error") ?? "", status: status)
    }
}

/// What a page handler can throw besides `APIError`.
enum WebError: Error {
    /// Not signed in (or the session ended): to the login form, then back.
    case signIn(next: String, expired: Bool)
    /// A POST without the right CSRF token: 403, nothing changed.
    case csrf
}

/// Errors of the dashboard's routes as pages (the API's stay JSON): a refusal is a readable
/// page with its status; not being signed in is a redirect to the form.
struct WebErrorMiddleware: RouterMiddleware {
    typealias Context = ServerRequestContext
    let web: WebController

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do { return try await next(request, context) } catch let error as WebError {
            switch error {
            case .signIn(let next, let expired):
                if request.method != .get {
                    return web.errorPage(request, status: .forbidden, message: web.language(request).0 == .vi ? "Chưa đăng nhập." : "Not signed in.")
                }
                var query = [("next", next)]
                if expired { query.append(("expired", "1")) }
                return Response(status: .seeOther, headers: [.location: "/login?" + WebLinks.query(query), .cacheControl: "no-store"])
            case .csrf:
                web.server.logger.notice("dashboard form refused: CSRF token missing or wrong", metadata: ["route": "\(request.method) \(request.uri.path)"])
                return web.errorPage(request, status: .forbidden, message: WebText(language: web.language(request).0)["csrfRefused"])
            }
        } catch let error as APIError {
            var response = web.errorPage(request, status: error.status, message: error.message)
            for field in error.headers where field.name != .contentType && field.name != .wwwAuthenticate { response.headers.append(field) }
            return response
        } catch let error as StoreError {
            let api = error.api
            return web.errorPage(request, status: api.status, message: api.message)
        } catch let error as HTTPError {
            return web.errorPage(request, status: error.status, message: error.body ?? error.status.reasonPhrase)
        } catch let error as StoreUnavailable {
            // PostgreSQL down or restarting: a page saying so soon, not one held until it is back.
            web.server.logger.warning("dashboard page not served: the database did not answer", metadata: ["route": "\(request.method) \(request.uri.path)", "why": "\(error)"])
            var response = web.errorPage(request, status: .serviceUnavailable, message: WebText(language: web.language(request).0)["storeUnavailable"])
            response.headers[.retryAfter] = StoreUnavailable.retryAfter
            return response
        } catch {
            web.server.logger.error("dashboard page failed", metadata: ["route": "\(request.method) \(request.uri.path)", "error": "\(error)"])
            return web.errorPage(request, status: .internalServerError, message: "internal error / lỗi máy chủ")
        }
    }
}
