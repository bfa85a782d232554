import Foundation
import HailongDomain
import Hummingbird
import Logging

/// The simulated board's page and its forms (`/sim`), routed only with `gpio.backend: simulated`:
/// a person presses the board's buttons in a browser tab and watches the dashboard in another.
///
/// A browser cannot send the API token, so these routes take none; `SimFormGuard` refuses a
/// POST from another site's page instead. Each POST does what the local API's call of the same
/// name does and answers 303 back to `/sim`, with what happened in the query (`?done=`,
/// `?error=`), shown escaped.
struct SimPageController {
    let agent: Agent
    let simulator: Simulator

    /// Longest flash message shown from the query.
    static let maximumFlash = 400

    func addRoutes(to router: Router<BasicRequestContext>) {
        let sim = router.group("sim").add(middleware: SimFormGuard(listenHost: agent.config.api.host))
        sim.get(use: page)
        sim.post("press", use: press)
        sim.post("clerk", use: signIn)
        sim.post("clerk/signout", use: signOut)
        sim.post("session", use: openSession)
        sim.post("session/close", use: closeSession)
    }

    // MARK: Handlers

    /// `GET /sim`: the board, its state and the clerk's software's forms.
    @Sendable func page(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let status = await agent.status()
        let recent = (try? agent.log.events(after: max(0, status.lastSeq - 12), limit: 12)) ?? []
        let query = request.uri.queryParameters
        let flash: SimPage.Flash? =
            if let text = query["error"], !text.isEmpty { .error(String(text.prefix(Self.maximumFlash))) }
            else if let text = query["done"], !text.isEmpty { .done(String(text.prefix(Self.maximumFlash))) }
            else { nil }
        let config = agent.config
        let levels = config.gpio.buttonLevels
        let buttons = levels.map { level in
            SimPage.Button(
                level: level, label: config.scale.label(for: level),
                tone: config.scale.isSatisfied(level) ? (level == levels.first ? "best" : "good") : (level == levels.last ? "bad" : "meh"))
        }
        let page = SimPage(
            counter: config.counter, buttons: buttons, status: status, recent: recent.reversed(), flash: flash,
            timeZone: TimeZone(identifier: config.timeZone) ?? TimeZone(secondsFromGMT: 7 * 3600) ?? .current, scale: config.scale)
        return SimPage.response(page.render())
    }

    /// `POST /sim/press` (`level`): the citizen presses that button, as `POST /v1/sim/press`.
    @Sendable func press(_ request: Request, context: BasicRequestContext) async throws -> Response {
        struct Form: Decodable { var level: String? }
        return await act(request, Form.self) { form in
            guard let text = form.level, let level = Int(text.trimmingCharacters(in: .whitespaces)) else {
                return .error("thiếu mức đánh giá / level: missing")
            }
            guard let line = agent.pipeline.line(ofLevel: level) else {
                return .error("bảng nút không có nút mức \(level) / level \(level) has no button on this board")
            }
            return describe(await simulator.press(line: line, hold: .milliseconds(120)))
        }
    }

    /// `POST /sim/clerk` (`clerk`): signs the clerk in, as `POST /v1/clerk`.
    @Sendable func signIn(_ request: Request, context: BasicRequestContext) async throws -> Response {
        struct Form: Decodable { var clerk: String? }
        return await act(request, Form.self) { form in
            let clerk: ClerkID
            do throws(CodeError) { clerk = try ClerkID(form.clerk ?? "") } catch { return .error(error.description) }
            return await perform("Cán bộ \(clerk.value) đã đăng nhập / Clerk signed in") {
                () throws(PipelineError) in _ = try await agent.pipeline.signIn(clerk)
            }
        }
    }

    /// `POST /sim/clerk/signout`: as `DELETE /v1/clerk`.
    @Sendable func signOut(_ request: Request, context: BasicRequestContext) async throws -> Response {
        struct Form: Decodable {}
        return await act(request, Form.self) { _ in
            await perform("Cán bộ đã đăng xuất / The clerk signed out") { () throws(PipelineError) in _ = try await agent.pipeline.signOut() }
        }
    }

    /// `POST /sim/session` (`dossier`, `clerk`; the clerk signed in when `clerk` is empty):
    /// opens a service session, as `POST /v1/session`.
    @Sendable func openSession(_ request: Request, context: BasicRequestContext) async throws -> Response {
        struct Form: Decodable {
            var dossier: String?
            var clerk: String?
        }
        return await act(request, Form.self) { form in
            let dossier: DossierCode, clerk: ClerkID
            do throws(CodeError) { dossier = try DossierCode(form.dossier ?? "") } catch { return .error(error.description) }
            var typed = form.clerk?.trimmingCharacters(in: .whitespaces) ?? ""
            if typed.isEmpty { typed = await agent.pipeline.snapshot().clerk?.value ?? "" }
            do throws(CodeError) { clerk = try ClerkID(typed) } catch { return .error(error.description) }
            let seconds = Int(agent.config.rating.window.components.seconds)
            return await perform(
                "Đã mở phiên cho hồ sơ \(dossier.value), cán bộ \(clerk.value): mời quý khách bấm nút trong \(seconds) giây / "
                    + "Session open: press a button within \(seconds) s"
            ) { () throws(PipelineError) in _ = try await agent.pipeline.openSession(dossier: dossier, clerk: clerk) }
        }
    }

    /// `POST /sim/session/close`: closes the open session unrated, as `DELETE /v1/session`.
    @Sendable func closeSession(_ request: Request, context: BasicRequestContext) async throws -> Response {
        struct Form: Decodable {}
        return await act(request, Form.self) { _ in
            await perform("Đã đóng phiên, không có đánh giá / Session closed, unrated") {
                () throws(PipelineError) in _ = try await agent.pipeline.closeSession()
            }
        }
    }

    // MARK: Helpers

    /// Reads the form, runs `body`, and answers 303 to `/sim` with its message.
    private func act<Form: Decodable>(
        _ request: Request, _ type: Form.Type, _ body: (Form) async -> SimPage.Flash
    ) async -> Response {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: LocalAPI.maximumBody)
        } catch {
            return SimPage.refusal(
                .contentTooLarge, vi: "Nội dung quá lớn (tối đa \(LocalAPI.maximumBody) byte).",
                en: "The form is larger than \(LocalAPI.maximumBody) bytes.")
        }
        let outcome: SimPage.Flash
        do {
            let form = try URLEncodedFormDecoder().decode(Form.self, from: String(buffer: buffer))
            outcome = await body(form)
        } catch {
            outcome = .error("không đọc được biểu mẫu / the form could not be read")
        }
        switch outcome {
        case .done(let text):
            agent.logger.debug("sim page", metadata: ["done": "\(text)"])
            return .redirect(to: "/sim?done=" + HTML.queryValue(text), type: .normal)
        case .error(let text):
            agent.logger.debug("sim page", metadata: ["error": "\(text)"])
            return .redirect(to: "/sim?error=" + HTML.queryValue(text), type: .normal)
        }
    }

    private func perform(_ done: String, _ work: () async throws(PipelineError) -> Void) async -> SimPage.Flash {
        do {
            try await work()
            return .done(done)
        } catch {
            return .error(error.description)
        }
    }

    /// What became of a press, in words.
    private func describe(_ report: CounterPipeline.PressReport) -> SimPage.Flash {
        let label = agent.config.scale.label(for: report.level).map { "«\($0.vi)» / \($0.en)" } ?? "mức \(report.level) / level \(report.level)"
        if let error = report.storageError {
            return .error("không lưu được lần bấm \(label): \(error) / the press was not stored")
        }
        switch report.result {
        case .rated(_, let binding)?:
            let rating = report.events.first { $0.kind == .rating }
            let seq = rating?.seq.map { " (#\($0))" } ?? ""
            switch binding {
            case .dossier:
                let dossier = rating?.dossier ?? "", clerk = rating?.clerk ?? ""
                return .done("Đã ghi nhận\(seq): \(label) — hồ sơ \(dossier), cán bộ \(clerk) / Recorded, bound to the dossier and its clerk")
            case .clerk:
                return .done("Đã ghi nhận\(seq): \(label) — cán bộ \(rating?.clerk ?? ""), không có phiên / Recorded for the clerk, no session open")
            case .counter:
                return .done("Đã ghi nhận\(seq): \(label) — chỉ tính cho quầy / Recorded for the counter only (no clerk, no session)")
            }
        case .suppressed(.ambiguous)?:
            return .error("lần bấm \(label) không được tính: nhiều nút cùng lúc / not counted: several buttons at once")
        case .suppressed?:
            let seconds = agent.config.rating.spamInterval.components.seconds
            return .error(
                "lần bấm \(label) không được tính: quá sớm sau lần trước (dưới \(seconds) giây) / not counted: within \(seconds) s of the last press")
        case .dropped?:
            return .error("lần bấm \(label) không được ghi: không có phiên nào và rating.unbound là ignore / not recorded: no session and rating.unbound is ignore")
        case .invalidLevel?:
            return .error("mức \(report.level) không có trong thang \(agent.config.scale.rawValue) / level not in the scale")
        case nil:
            return .error("không thấy lần bấm \(label) (nút đang bị giữ hoặc bị kẹt?) / the press was not seen (button held or stuck?)")
        }
    }
}
