import HailongDomain
import HailongGPIO

/// Drives the simulated backend for `POST /v1/sim/press` and `/v1/sim/edges`: edges enter
/// where the chip's would, so debounce and the counter above run unchanged.
public struct Simulator: Sendable {
    let backend: SimulatedBackend
    let pipeline: CounterPipeline

    /// Presses the button on `line`, holds it for `hold`, and answers once the press has been
    /// processed and its events committed (or after a timeout, as `unseen`). A zero `hold`
    /// releases it as soon as the press is answered.
    public func press(line: Int, hold: Duration) async -> CounterPipeline.PressReport {
        let backend = self.backend
        let report = await pipeline.awaitPress(line: line, timeout: .seconds(2)) {
            backend.inject(line: line, active: true)
        }
        if hold == .zero {
            backend.inject(line: line, active: false)
        } else {
            Task {
                try? await Task.sleep(for: hold)
                backend.inject(line: line, active: false)
            }
        }
        return report
    }

    /// Injects raw edges stamped `after` the first, all at once, as the kernel hands over a
    /// burst it has queued: the debounce works on their timestamps, not on when they arrive.
    public func inject(_ edges: [(line: Int, active: Bool, after: Duration)]) {
        let start = backend.now
        for edge in edges.sorted(by: { $0.after < $1.after }) {
            backend.inject(Edge(line: edge.line, active: edge.active, at: start + edge.after))
        }
    }
}
