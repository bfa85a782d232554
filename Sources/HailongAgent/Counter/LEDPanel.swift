import HailongDomain
import HailongGPIO
import Logging

/// The counter's lights: logical states (off, on, blinking) for each LED role, driven onto the
/// backend's lines. A blink task runs only while something blinks, so an idle board sleeps.
actor LEDPanel {
    private let backend: any GPIOBackend
    private let indices: [LEDRole: Int]
    private let logger: Logger
    private let blinkHalfPeriod: Duration
    private(set) var states: [LEDRole: Counter.LEDState] = [:]
    private var blinkTask: Task<Void, Never>?
    private var blinkPhase = false

    init(backend: any GPIOBackend, roles: [LEDRole], logger: Logger, blinkHalfPeriod: Duration = .milliseconds(500)) {
        self.backend = backend
        self.logger = logger
        self.blinkHalfPeriod = blinkHalfPeriod
        var indices: [LEDRole: Int] = [:]
        for (index, role) in roles.enumerated() { indices[role] = index }
        self.indices = indices
    }

    func set(_ role: LEDRole, _ state: Counter.LEDState) {
        guard states[role, default: .off] != state else { return }
        states[role] = state
        drive(role, on: state == .on || (state == .blinking && blinkPhase))
        if state == .blinking, blinkTask == nil { startBlinking() }
    }

    func state(of role: LEDRole) -> Counter.LEDState { states[role, default: .off] }

    private func drive(_ role: LEDRole, on: Bool) {
        guard let index = indices[role] else { return }
        do {
            try backend.setLED(index, on: on)
        } catch {
            logger.warning("cannot drive LED", metadata: ["led": "\(role)", "error": "\(error)"])
        }
    }

    private func startBlinking() {
        blinkPhase = true
        for (role, state) in states where state == .blinking { drive(role, on: true) }
        let half = blinkHalfPeriod
        blinkTask = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: half)
                guard let self, await self.toggleBlink() else { return }
            }
        }
    }

    /// One blink phase; false once nothing blinks any more.
    private func toggleBlink() -> Bool {
        let blinking = states.filter { $0.value == .blinking }.map(\.key)
        guard !blinking.isEmpty else {
            blinkTask = nil
            return false
        }
        blinkPhase.toggle()
        for role in blinking { drive(role, on: blinkPhase) }
        return true
    }

    func allOff() {
        blinkTask?.cancel()
        blinkTask = nil
        for role in indices.keys { drive(role, on: false) }
        states = [:]
    }
}
