public import HailongDomain
import Synchronization

/// Buttons without hardware: presses and raw edges are injected where the chip's edges would
/// enter, so debounce, grouping, stuck detection and the counter above run unchanged.
/// LED levels are remembered so tests and the status page can read them.
public final class SimulatedBackend: GPIOBackend, Sendable {
    public let description: GPIODescription
    public let initialLevels: [Bool]
    public let edges: AsyncStream<Edge>
    private let continuation: AsyncStream<Edge>.Continuation
    private let ledLevels: Mutex<[Bool]>
    private let clock: @Sendable () -> MonotonicInstant

    public init(buttonCount: Int, ledCount: Int, clock: @escaping @Sendable () -> MonotonicInstant = monotonicNow) {
        description = GPIODescription(backend: "simulated", chip: "simulated", label: "simulated buttons", library: "none", kernelDebounce: false)
        initialLevels = Array(repeating: false, count: buttonCount)
        ledLevels = Mutex(Array(repeating: false, count: ledCount))
        self.clock = clock
        (edges, continuation) = AsyncStream.makeStream(of: Edge.self, bufferingPolicy: .unbounded)
    }

    /// Injects one raw edge, stamped now.
    public func inject(line: Int, active: Bool) {
        continuation.yield(Edge(line: line, active: active, at: clock()))
    }

    /// Injects an edge with an explicit timestamp (for bounce bursts replayed at kernel pace).
    public func inject(_ edge: Edge) {
        continuation.yield(edge)
    }

    public var now: MonotonicInstant { clock() }

    public func setLED(_ index: Int, on: Bool) throws(GPIOError) {
        try ledLevels.withLock { (levels: inout [Bool]) throws(GPIOError) in
            guard levels.indices.contains(index) else { throw GPIOError("no LED \(index)") }
            levels[index] = on
        }
    }

    /// The LED levels as last set.
    public var leds: [Bool] { ledLevels.withLock { $0 } }

    public func shutdown() { continuation.finish() }
}
