public import HailongDomain
public import HailongGPIO
import Logging

/// The technician's live test (`hailong-agent buttons`): each debounced press is reported with
/// its level's label and lights its LED (the button's own, or the thank-you LED) for a moment.
/// Nothing is written to the event log.
public actor ButtonTester {
    public struct Press: Sendable {
        public var level: Int
        public var label: Scale.Label?
        public var kind: String
    }

    private let agentConfig: AgentConfig
    private let backend: any GPIOBackend
    private var processor: ButtonProcessor
    private let levels: [Int]
    private let report: @Sendable (Press) -> Void
    private var timer: Task<Void, Never>?

    public init(config: AgentConfig, backend: any GPIOBackend, report: @escaping @Sendable (Press) -> Void) {
        agentConfig = config
        self.backend = backend
        levels = config.gpio.buttonLevels
        let debounce: Duration = backend.description.kernelDebounce ? .zero : config.gpio.debounce
        processor = ButtonProcessor(
            settings: .init(debounce: debounce, ambiguityWindow: config.gpio.debounce, stuckAfter: config.gpio.stuckAfter),
            initial: backend.initialLevels, now: monotonicNow())
        self.report = report
    }

    public func run() async {
        for await edge in backend.edges {
            handle(processor.feed(edge))
        }
    }

    private func handle(_ signals: [ButtonSignal]) {
        for signal in signals {
            switch signal {
            case .press(let line, _):
                let level = levels[line]
                report(Press(level: level, label: agentConfig.scale.label(for: level), kind: "press"))
                flash(level)
            case .simultaneous(let lines, _):
                for line in lines { report(Press(level: levels[line], label: nil, kind: "together (ambiguous)")) }
            case .stuck(let line, _):
                report(Press(level: levels[line], label: nil, kind: "stuck"))
            case .recovered(let line, _):
                report(Press(level: levels[line], label: nil, kind: "released"))
            }
        }
        schedule()
    }

    private func flash(_ level: Int) {
        let roles = agentConfig.gpio.ledRoles.map(\.role)
        guard let index = roles.firstIndex(of: .button(level)) ?? roles.firstIndex(of: .counter(.thanks)) else { return }
        let backend = self.backend
        try? backend.setLED(index, on: true)
        Task {
            try? await Task.sleep(for: .milliseconds(700))
            try? backend.setLED(index, on: false)
        }
    }

    private func schedule() {
        timer?.cancel()
        guard let deadline = processor.nextDeadline else { return }
        let delay = deadline - monotonicNow()
        timer = Task { [weak self] in
            if delay > .zero {
                do { try await Task.sleep(for: delay) } catch { return }
            }
            await self?.fire()
        }
    }

    private func fire() {
        handle(processor.advance(to: monotonicNow()))
    }
}
