import Foundation
import Hummingbird

/// Guards the simulated board's page, which a browser reaches without the API token.
///
/// - A POST whose `Origin` is present and is not this agent's own (`http://` + the request's
///   `Host`) is refused with 403: another site's page cannot press a button or sign a clerk in
///   through a visitor's browser. Without `Origin` (curl, scripts) the POST is let through.
/// - A POST must be `application/x-www-form-urlencoded` (415 otherwise), what the page's forms send.
/// - The `Host` must be an IP address, `localhost` or the host of `api.listen`: a foreign name
///   resolving to the board (DNS rebinding) would otherwise make a foreign page "same origin".
struct SimFormGuard<Context: RequestContext>: RouterMiddleware {
    /// The host of `api.listen`.
    let listenHost: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let authority = request.head.authority
        if let authority, !SimOrigin.namesThisBoard(authority, listenHost: listenHost) {
            context.logger.notice("sim page: refused a request for a foreign host name", metadata: ["host": "\(authority)"])
            return SimPage.refusal(
                .forbidden,
                vi: "Trang này chỉ mở bằng địa chỉ IP của bảng nút (ví dụ http://127.0.0.1:8731/sim), không qua tên miền “\(authority)”.",
                en: "Open this page by the board's IP address (e.g. http://127.0.0.1:8731/sim), not by the name “\(authority)”.")
        }
        guard request.method == .post else { return try await next(request, context) }
        if let origin = request.headers[.origin] {
            guard SimOrigin.isOwn(origin, authority: authority) else {
                context.logger.notice("sim page: refused a POST from another origin", metadata: ["origin": "\(origin)"])
                return SimPage.refusal(
                    .forbidden,
                    vi: "Từ chối: yêu cầu đến từ trang khác (Origin “\(origin)”), không phải từ trang của bảng nút này.",
                    en: "Refused: the request came from another site (Origin “\(origin)”), not from this board's own page.")
            }
        }
        let mediaType = request.headers[.contentType]?.split(separator: ";").first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        }
        guard mediaType == "application/x-www-form-urlencoded" else {
            return SimPage.refusal(
                .unsupportedMediaType,
                vi: "Biểu mẫu phải gửi dạng application/x-www-form-urlencoded.",
                en: "The form must be sent as application/x-www-form-urlencoded.")
        }
        return try await next(request, context)
    }
}

/// `SimFormGuard`'s two questions, apart so that tests can ask them.
package enum SimOrigin {
    /// Whether `origin` (an `Origin` header) is this agent's own: `http://` + the request's
    /// `Host`, compared without case. `null` (a sandboxed or privacy-stripped page) is not.
    package static func isOwn(_ origin: String, authority: String?) -> Bool {
        guard let authority else { return false }
        return origin.lowercased() == "http://" + authority.lowercased()
    }

    /// Whether `authority` (`host[:port]`) names this board without a DNS name it does not own:
    /// an IPv4 or IPv6 literal, `localhost`, or `listenHost`.
    package static func namesThisBoard(_ authority: String, listenHost: String) -> Bool {
        var host = Substring(authority)
        if host.hasPrefix("[") {
            // An IPv6 literal: [::1]:8731.
            guard let close = host.firstIndex(of: "]") else { return false }
            let literal = host[host.index(after: host.startIndex)..<close]
            return !literal.isEmpty && literal.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
        }
        if let colon = host.lastIndex(of: ":") { host = host[..<colon] }
        let name = host.lowercased()
        if name == "localhost" || name == listenHost.lowercased() { return true }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { $0.allSatisfy(\.isASCII) && UInt8($0) != nil }
    }
}
