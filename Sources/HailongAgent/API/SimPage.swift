import Foundation
import HailongDomain
import Hummingbird

/// The simulated board's page (`GET /sim`): the counter's buttons on screen, the board's state,
/// and the clerk's software's actions, for demos. One self-contained HTML document: inline CSS,
/// no script, nothing fetched from elsewhere, Vietnamese first with English beside.
struct SimPage {
    /// A button of the board, best level first.
    struct Button {
        var level: Int
        var label: Scale.Label?
        /// `best` (the top level), `good` (another satisfied one), `bad` (the lowest), `meh`.
        var tone: String
    }

    /// The message of the last action, from the redirect's query.
    enum Flash {
        case done(String)
        case error(String)
    }

    var counter: String
    var buttons: [Button]
    var status: AgentStatus
    /// The latest events, newest first.
    var recent: [EventRecord]
    var flash: Flash?
    var timeZone: TimeZone
    var scale: Scale

    /// The whole document.
    func render() -> String {
        var html = """
            <!doctype html>
            <html lang="vi">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(e(counter)) — Bảng nút mô phỏng / Simulated board</title>
            <style>\(Self.css)</style>
            </head>
            <body>
            <main>
            <header>
            <p class="kicker">Bảng nút mô phỏng <span class="en" lang="en">Simulated board</span></p>
            <h1>\(e(counter))</h1>
            </header>

            """
        html += flashHTML()
        html += boardHTML()
        html += stateHTML()
        html += clerkSoftwareHTML()
        html += recentHTML()
        html += """
            <footer><p>Trang này chỉ có khi <code>gpio.backend: simulated</code>; trên bảng thật không có. \
            <span class="en" lang="en">This page exists only with <code>gpio.backend: simulated</code>, never on a real board.</span> \
            <a href="/sim">Tải lại <span class="en" lang="en">Reload</span></a></p></footer>
            </main>
            </body>
            </html>

            """
        return html
    }

    // MARK: Parts

    private func flashHTML() -> String {
        switch flash {
        case .done(let text)?: "<p class=\"flash done\" role=\"status\">\(e(text))</p>\n"
        case .error(let text)?: "<p class=\"flash error\" role=\"alert\"><strong>Không thực hiện được <span class=\"en\" lang=\"en\">Not done</span>:</strong> \(e(text))</p>\n"
        case nil: ""
        }
    }

    private func boardHTML() -> String {
        var html = """
            <section class="board" aria-labelledby="board-title">
            <h2 id="board-title">Mời quý khách đánh giá <span class="en" lang="en">Please rate our service</span></h2>
            <div class="buttons">

            """
        for button in buttons {
            let vi = button.label?.vi ?? "Mức \(button.level)"
            let en = button.label?.en ?? "Level \(button.level)"
            html += """
                <form method="post" action="/sim/press"><input type="hidden" name="level" value="\(button.level)">\
                <button type="submit" class="\(button.tone)">\(e(vi))<span class="en" lang="en">\(e(en))</span>\
                <span class="level">\(button.level)</span></button></form>

                """
        }
        html += "</div>\n<p class=\"leds\">"
        for name in ["ready", "thanks", "fault"] {
            guard let state = status.leds[name] else { continue }
            html += "<span class=\"led \(e(state))\">\(Self.ledName(name)) — \(Self.ledState(state))</span> "
        }
        html += "</p>\n</section>\n"
        return html
    }

    private func stateHTML() -> String {
        var rows: [(String, String)] = []
        rows.append(("Cán bộ tại quầy <span class=\"en\" lang=\"en\">Clerk signed in</span>",
                     status.clerk.map { "<strong>\(e($0))</strong>" } ?? Self.none))
        if let session = status.session {
            rows.append((
                "Phiên đang mở <span class=\"en\" lang=\"en\">Open session</span>",
                "hồ sơ <strong>\(e(session.dossier))</strong>, cán bộ <strong>\(e(session.clerk))</strong>; "
                    + "còn \(Int(session.secondsLeft.rounded(.up))) giây để đánh giá "
                    + "<span class=\"en\" lang=\"en\">\(Int(session.secondsLeft.rounded(.up))) s left to rate</span>"
            ))
        } else {
            rows.append(("Phiên đang mở <span class=\"en\" lang=\"en\">Open session</span>", Self.none))
        }
        rows.append(("Lần bấm gần nhất <span class=\"en\" lang=\"en\">Last press</span>", lastPressHTML()))
        let upload = status.uplink?.lastUpload.map { "; lần gửi cuối <span class=\"en\" lang=\"en\">last upload</span> \(e(time(rfc3339: $0)))" } ?? ""
        var uplink = "\(status.backlog) sự kiện chưa gửi lên máy chủ <span class=\"en\" lang=\"en\">events not yet sent to the server</span>\(upload)"
        if let disabled = status.uplink?.disabled {
            uplink += "<br>\(e(disabled))"
        } else if let error = status.uplink?.lastError {
            uplink += "<br>lỗi gửi <span class=\"en\" lang=\"en\">upload error</span>: \(e(error))"
        }
        rows.append(("Gửi lên máy chủ <span class=\"en\" lang=\"en\">Backlog</span>", uplink))
        if !status.faults.isEmpty {
            rows.append(("Lỗi <span class=\"en\" lang=\"en\">Faults</span>", status.faults.map(e).joined(separator: "<br>")))
        }
        var html = "<section aria-labelledby=\"state-title\">\n<h2 id=\"state-title\">Trạng thái <span class=\"en\" lang=\"en\">State</span></h2>\n<dl class=\"state\">\n"
        for (term, value) in rows { html += "<dt>\(term)</dt><dd>\(value)</dd>\n" }
        return html + "</dl>\n</section>\n"
    }

    private func lastPressHTML() -> String {
        if let press = recent.first(where: { $0.kind == .rating || $0.kind == .suppressed }) {
            return "#\(press.seq ?? 0), \(e(time(press))): \(detail(press))\(forwarded(press))"
        }
        if let rating = status.lastRating {
            let label = rating.label.map { "\(e($0.vi)) <span class=\"en\" lang=\"en\">\(e($0.en))</span>" } ?? "mức \(rating.level)"
            return "#\(rating.seq), \(e(time(rfc3339: rating.at))): \(label)"
        }
        return "chưa có <span class=\"en\" lang=\"en\">none yet</span>"
    }

    private func clerkSoftwareHTML() -> String {
        let clerk = e(status.clerk ?? "")
        var html = """
            <section aria-labelledby="clerk-title">
            <h2 id="clerk-title">Phần mềm của cán bộ <span class="en" lang="en">The clerk's software</span></h2>
            <p class="hint">Như <code>POST /v1/clerk</code>, <code>POST /v1/session</code>, <code>DELETE /v1/session</code> của API cục bộ. \
            <span class="en" lang="en">The same as the local API's calls.</span></p>
            <form method="post" action="/sim/clerk" class="action">
            <label for="clerk-in">Mã cán bộ <span class="en" lang="en">Staff code</span></label>
            <input id="clerk-in" name="clerk" required maxlength="100" autocomplete="off" value="\(clerk)" placeholder="anh">
            <button type="submit">Đăng nhập cán bộ <span class="en" lang="en">Sign clerk in</span></button>
            </form>

            """
        if status.clerk != nil {
            html += """
                <form method="post" action="/sim/clerk/signout" class="action">
                <button type="submit" class="quiet">Cán bộ đăng xuất <span class="en" lang="en">Sign the clerk out</span></button>
                </form>

                """
        }
        html += """
            <form method="post" action="/sim/session" class="action">
            <label for="dossier-in">Mã hồ sơ <span class="en" lang="en">Dossier code</span></label>
            <input id="dossier-in" name="dossier" required maxlength="64" autocomplete="off" value="\(e(suggestedDossier))">
            <label for="session-clerk-in">Mã cán bộ <span class="en" lang="en">Staff code</span></label>
            <input id="session-clerk-in" name="clerk" maxlength="100" autocomplete="off" value="\(clerk)" placeholder="anh">
            <button type="submit">Mở phiên phục vụ <span class="en" lang="en">Open a service session</span></button>
            </form>

            """
        if status.session != nil {
            html += """
                <form method="post" action="/sim/session/close" class="action">
                <button type="submit" class="quiet">Đóng phiên (không đánh giá) <span class="en" lang="en">Close the session (unrated)</span></button>
                </form>

                """
        }
        return html + "</section>\n"
    }

    private func recentHTML() -> String {
        guard !recent.isEmpty else { return "" }
        var html = """
            <section aria-labelledby="events-title">
            <h2 id="events-title">Sự kiện gần đây <span class="en" lang="en">Recent events</span></h2>
            <div class="scroll"><table>
            <thead><tr><th scope="col">#</th><th scope="col">Giờ <span class="en" lang="en">Time</span></th>\
            <th scope="col">Sự kiện <span class="en" lang="en">Event</span></th>\
            <th scope="col">Máy chủ <span class="en" lang="en">Server</span></th></tr></thead>
            <tbody>

            """
        for event in recent {
            html += "<tr><td>\(event.seq ?? 0)</td><td>\(e(time(event)))</td><td>\(Self.kindName(event.kind)): \(detail(event))</td>"
            html += "<td>\(event.forwarded ? "đã gửi <span class=\"en\" lang=\"en\">sent</span>" : "chưa <span class=\"en\" lang=\"en\">not yet</span>")</td></tr>\n"
        }
        return html + "</tbody></table></div>\n</section>\n"
    }

    // MARK: Words

    /// What an event says, in HTML (escaped).
    private func detail(_ event: EventRecord) -> String {
        let who = event.clerk.map { "cán bộ \(e($0))" }
        let dossier = event.dossier.map { "hồ sơ \(e($0))" }
        switch event.kind {
        case .rating:
            let label = event.level.flatMap { scale.label(for: $0) }
            let text = label.map { "<strong>\(e($0.vi))</strong> <span class=\"en\" lang=\"en\">\(e($0.en))</span>" } ?? "mức \(event.level ?? 0)"
            switch event.binding {
            case .dossier?: return "\(text) — \([dossier, who].compactMap { $0 }.joined(separator: ", "))"
            case .clerk?: return "\(text) — \(who ?? "") (không có phiên <span class=\"en\" lang=\"en\">no session</span>)"
            case .counter?, nil: return "\(text) — chỉ tính cho quầy <span class=\"en\" lang=\"en\">counter only</span>"
            }
        case .suppressed:
            let label = event.level.flatMap { scale.label(for: $0) }.map { "\(e($0.vi)) <span class=\"en\" lang=\"en\">\(e($0.en))</span>" }
            return "\(label ?? "mức \(event.level ?? 0)") không tính <span class=\"en\" lang=\"en\">not counted</span>: \(Self.reasonText(event.reason))"
        case .session:
            let outcome = event.outcome == .rated
                ? "đã đánh giá <span class=\"en\" lang=\"en\">rated</span>"
                : "không đánh giá <span class=\"en\" lang=\"en\">unrated</span>, \(Self.reasonText(event.reason))"
            return "\([dossier, who].compactMap { $0 }.joined(separator: ", ")): \(outcome)"
        case .clerkSignin, .clerkSignout:
            return who ?? ""
        case .fault:
            return "nút \(event.level ?? 0): \(Self.reasonText(event.reason))"
        }
    }

    private func forwarded(_ event: EventRecord) -> String {
        event.forwarded
            ? " — đã gửi lên máy chủ <span class=\"en\" lang=\"en\">sent to the server</span>"
            : " — chưa gửi lên máy chủ <span class=\"en\" lang=\"en\">not yet sent</span>"
    }

    private static func reasonText(_ reason: EventReason?) -> String {
        switch reason {
        case .spam?: "bấm quá sớm sau lần trước <span class=\"en\" lang=\"en\">too soon after the last press</span>"
        case .ambiguous?: "nhiều nút cùng lúc <span class=\"en\" lang=\"en\">several buttons at once</span>"
        case .expired?: "hết thời gian chờ <span class=\"en\" lang=\"en\">window expired</span>"
        case .superseded?: "có phiên mới thay thế <span class=\"en\" lang=\"en\">superseded</span>"
        case .closed?: "cán bộ đóng phiên <span class=\"en\" lang=\"en\">closed by the clerk</span>"
        case .stuck?: "bị kẹt <span class=\"en\" lang=\"en\">stuck</span>"
        case .released?: "đã nhả <span class=\"en\" lang=\"en\">released</span>"
        case nil: ""
        }
    }

    private static func kindName(_ kind: EventKind) -> String {
        switch kind {
        case .rating: "Đánh giá <span class=\"en\" lang=\"en\">Rating</span>"
        case .suppressed: "Bỏ qua <span class=\"en\" lang=\"en\">Suppressed</span>"
        case .session: "Phiên <span class=\"en\" lang=\"en\">Session</span>"
        case .clerkSignin: "Cán bộ đăng nhập <span class=\"en\" lang=\"en\">Clerk signed in</span>"
        case .clerkSignout: "Cán bộ đăng xuất <span class=\"en\" lang=\"en\">Clerk signed out</span>"
        case .fault: "Lỗi nút <span class=\"en\" lang=\"en\">Line fault</span>"
        }
    }

    private static func ledName(_ name: String) -> String {
        switch name {
        case "ready": "Đèn chờ <span class=\"en\" lang=\"en\">Ready</span>"
        case "thanks": "Đèn cảm ơn <span class=\"en\" lang=\"en\">Thanks</span>"
        default: "Đèn lỗi <span class=\"en\" lang=\"en\">Fault</span>"
        }
    }

    private static func ledState(_ state: String) -> String {
        switch state {
        case "on": "sáng <span class=\"en\" lang=\"en\">on</span>"
        case "blinking": "nhấp nháy <span class=\"en\" lang=\"en\">blinking</span>"
        default: "tắt <span class=\"en\" lang=\"en\">off</span>"
        }
    }

    private static let none = "không có <span class=\"en\" lang=\"en\">none</span>"

    /// A dossier code to open the next session with: today's date and the next sequence number,
    /// in the shape of the one-stop portal's codes.
    private var suggestedDossier: String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "yyMMdd"
        return "000.30.25.H17-\(formatter.string(from: Date()))-\(String(format: "%04d", (status.lastSeq + 1) % 10_000))"
    }

    private func time(_ event: EventRecord) -> String {
        time(Date(timeIntervalSince1970: Double(event.wallUs) / 1_000_000))
    }

    private func time(rfc3339: String) -> String {
        WallTime(rfc3339: rfc3339).map { time(Date(timeIntervalSince1970: Double($0.microseconds) / 1_000_000)) } ?? rfc3339
    }

    /// `14:05:09 07/05/2026`, in the board's time zone.
    private func time(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "HH:mm:ss dd/MM/yyyy"
        return formatter.string(from: date)
    }

    private func e(_ text: String) -> String { HTML.escape(text) }

    // MARK: Responses

    /// The page's response: HTML that never goes stale in a cache, cannot be framed by another
    /// site (a framed form would post with this page's own Origin) and loads nothing.
    static func response(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8",
                .cacheControl: "no-store",
                .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
                .xContentTypeOptions: "nosniff",
            ],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A refused request, as a short page with the reason and a way back.
    static func refusal(_ status: HTTPResponse.Status, vi: String, en: String) -> Response {
        response(
            """
            <!doctype html>
            <html lang="vi">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(status.code) — Bảng nút mô phỏng / Simulated board</title><style>\(css)</style></head>
            <body><main>
            <h1>\(status.code) \(HTML.escape(status.reasonPhrase))</h1>
            <p class="flash error" role="alert">\(HTML.escape(vi))<br><span class="en" lang="en">\(HTML.escape(en))</span></p>
            <p><a href="/sim">Về trang bảng nút <span class="en" lang="en">Back to the board</span></a></p>
            </main></body>
            </html>

            """,
            status: status)
    }

    // Colours: Okabe–Ito's blue and vermillion families (safe for colour-blind readers), each
    // with white text at a contrast of 4.5:1 or more; the label, not the colour, says the level.
    private static let css = """
        :root{font-family:system-ui,"Noto Sans","DejaVu Sans",sans-serif;line-height:1.45;color:#1b1b1b;background:#f3f3f0}
        body{margin:0}
        main{max-width:42rem;margin:0 auto;padding:1rem}
        h1{font-size:1.5rem;margin:.1rem 0 .8rem}
        h2{font-size:1.1rem;margin:1.4rem 0 .5rem}
        .kicker{margin:0;color:#444}
        .en{color:#555;font-weight:normal}
        code{font-size:.9em}
        .flash{padding:.6rem .8rem;border-radius:.4rem;border-left:.35rem solid #1f6fb2;background:#e7f0f9}
        .flash.error{border-color:#b34700;background:#fbeee6}
        .board{background:#26323a;color:#fff;border-radius:1rem;padding:.8rem 1rem 1rem}
        .board h2{margin-top:.2rem;color:#fff}
        .board .en{color:#dfe6ea}
        .buttons{display:grid;gap:.75rem;grid-template-columns:repeat(auto-fit,minmax(8.5rem,1fr))}
        .buttons form{margin:0}
        .buttons button{width:100%;min-height:6rem;padding:.6rem;border:3px solid #fff;border-radius:1rem;color:#fff;font:inherit;font-size:1.2rem;font-weight:bold;cursor:pointer;position:relative}
        .buttons button .en{display:block;color:#fff;opacity:.92;font-size:.95rem}
        .buttons button .level{position:absolute;top:.3rem;right:.55rem;font-size:.85rem;opacity:.85}
        .buttons button:focus-visible{outline:4px solid #ffd54f;outline-offset:2px}
        .buttons button:active{transform:translateY(2px)}
        button.best{background:#184e80}
        button.good{background:#1f6fb2}
        button.meh{background:#a34400}
        button.bad{background:#7a2500}
        .leds{display:flex;flex-wrap:wrap;gap:.4rem 1rem;margin:.8rem 0 0;font-size:.95rem}
        .led::before{content:"";display:inline-block;width:.85rem;height:.85rem;margin-right:.35rem;border-radius:50%;border:1px solid #9aa;background:#3b474f;vertical-align:-.1rem}
        .led.on::before{background:#ffd54f}
        .led.blinking::before{background:#ffd54f;animation:blink 1s steps(2,start) infinite}
        @keyframes blink{to{visibility:hidden}}
        @media (prefers-reduced-motion:reduce){.led.blinking::before{animation:none}}
        .state{display:grid;grid-template-columns:minmax(7rem,auto) 1fr;gap:.35rem .8rem;margin:0}
        .state dt{font-weight:bold}
        .state dd{margin:0;overflow-wrap:anywhere}
        @media (max-width:30rem){.state{grid-template-columns:1fr}.state dd{margin-bottom:.4rem}}
        .hint{color:#444;font-size:.95rem}
        .action{display:flex;flex-wrap:wrap;align-items:center;gap:.4rem .6rem;margin:.6rem 0;padding:.6rem;background:#fff;border:1px solid #d5d5d0;border-radius:.5rem}
        .action label{flex:1 0 100%;font-weight:bold}
        .action input{flex:1 1 12rem;min-width:0;padding:.45rem;font:inherit;border:1px solid #888;border-radius:.3rem}
        .action button{padding:.5rem .9rem;font:inherit;font-weight:bold;color:#fff;background:#1f5f99;border:0;border-radius:.4rem;cursor:pointer}
        .action button .en{color:#e4eef7}
        .action button.quiet{color:#1b1b1b;background:#e2e2dc}
        .action button.quiet .en{color:#444}
        .scroll{overflow-x:auto}
        table{border-collapse:collapse;width:100%;font-size:.92rem;background:#fff}
        th,td{padding:.35rem .5rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
        td{overflow-wrap:anywhere}
        footer{margin-top:1.5rem;color:#444;font-size:.9rem}
        """
}
