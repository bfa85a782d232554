public import HailongDomain

/// One edge of one button line, as the kernel (or the simulator) reports it.
public struct Edge: Equatable, Sendable {
    /// Index of the button in the configured button list.
    public var line: Int
    /// The line became active (pressed) or inactive (released); active level already applied.
    public var active: Bool
    /// Kernel timestamp (CLOCK_MONOTONIC).
    public var at: MonotonicInstant

    public init(line: Int, active: Bool, at: MonotonicInstant) {
        self.line = line
        self.active = active
        self.at = at
    }
}

/// What the button lines mean once debounced.
public enum ButtonSignal: Equatable, Sendable {
    /// One button was pressed.
    case press(line: Int, at: MonotonicInstant)
    /// Several buttons went down within the ambiguity window: nobody can tell which was meant.
    case simultaneous(lines: [Int], at: MonotonicInstant)
    /// A button has been held longer than the stuck limit: a line fault.
    case stuck(line: Int, at: MonotonicInstant)
    /// A stuck button was released; the fault is over.
    case recovered(line: Int, at: MonotonicInstant)
}

/// Turns raw edges into presses: software debounce from the edge timestamps, grouping of
/// simultaneous presses, and stuck-line detection. Pure: time only enters through the edges'
/// timestamps and `advance(to:)`, so it is tested on synthetic, kernel-style edge sequences.
///
/// A line's level counts once it has held for `debounce` after its last edge (a bounce burst
/// of any length settles into one transition). A press is reported `ambiguityWindow` after it
/// settles unless another line settles pressed in that time, in which case all are reported
/// together as `simultaneous`.
public struct ButtonProcessor: Sendable {
    public struct Settings: Sendable, Equatable {
        /// Software debounce; zero when the kernel debounces (libgpiod v2) or for none at all.
        public var debounce: Duration
        /// Presses settling this close together are simultaneous.
        public var ambiguityWindow: Duration
        /// A line held active this long is stuck (`gpio.stuck_s`).
        public var stuckAfter: Duration

        public init(debounce: Duration = .milliseconds(30), ambiguityWindow: Duration = .milliseconds(30), stuckAfter: Duration = .seconds(10)) {
            self.debounce = debounce
            self.ambiguityWindow = ambiguityWindow
            self.stuckAfter = stuckAfter
        }
    }

    private struct Line: Sendable {
        var raw: Bool
        var lastEdge: MonotonicInstant
        var stable: Bool
        var stableSince: MonotonicInstant
        var stuck = false
    }

    public let settings: Settings
    private var lines: [Line]
    private var pending: (lines: [Int], at: MonotonicInstant, deadline: MonotonicInstant)?

    /// - Parameters:
    ///   - initial: each line's level when the lines were requested (a button already held
    ///     counts towards stuck, never as a press).
    ///   - now: when they were read.
    public init(settings: Settings, initial: [Bool], now: MonotonicInstant) {
        self.settings = settings
        lines = initial.map { Line(raw: $0, lastEdge: now, stable: $0, stableSince: now) }
    }

    public var lineCount: Int { lines.count }

    /// Whether a line is currently held down (debounced).
    public func isHeld(_ line: Int) -> Bool { lines.indices.contains(line) && lines[line].stable }

    /// The earliest time `advance(to:)` has something to do.
    public var nextDeadline: MonotonicInstant? { nextDue()?.at }

    /// Feeds one edge. Edges must come in timestamp order per line (the kernel guarantees it).
    public mutating func feed(_ edge: Edge) -> [ButtonSignal] {
        guard lines.indices.contains(edge.line) else { return [] }
        var out = advance(to: edge.at)
        lines[edge.line].raw = edge.active
        lines[edge.line].lastEdge = edge.at
        if settings.debounce == .zero {
            out += settle(edge.line, at: edge.at)
            out += flushPending(at: edge.at)
        }
        return out
    }

    /// Lets time pass up to `now`: lines settle, pending presses are reported, holds become stuck.
    public mutating func advance(to now: MonotonicInstant) -> [ButtonSignal] {
        var out: [ButtonSignal] = []
        // Process due events in time order so that settle → group → stuck interleave correctly.
        while let due = nextDue(), due.at <= now {
            switch due.what {
            case .settle(let index): out += settle(index, at: due.at)
            case .pending: out += flushPending(at: due.at)
            case .stuck(let index):
                lines[index].stuck = true
                out.append(.stuck(line: index, at: due.at))
            }
        }
        return out
    }

    private enum Due { case settle(Int), pending, stuck(Int) }

    private func nextDue() -> (at: MonotonicInstant, what: Due)? {
        var best: (at: MonotonicInstant, what: Due)?
        func consider(_ t: MonotonicInstant, _ what: Due) {
            if let current = best, current.at <= t { return }
            best = (t, what)
        }
        for (index, line) in lines.enumerated() {
            if line.raw != line.stable { consider(line.lastEdge + settings.debounce, .settle(index)) }
            if line.stable && !line.stuck { consider(line.stableSince + settings.stuckAfter, .stuck(index)) }
        }
        if let pending { consider(pending.deadline, .pending) }
        return best
    }

    private mutating func settle(_ index: Int, at: MonotonicInstant) -> [ButtonSignal] {
        var line = lines[index]
        guard line.raw != line.stable else { return [] }
        line.stable = line.raw
        line.stableSince = line.lastEdge
        var out: [ButtonSignal] = []
        if line.stable {
            if var group = pending {
                if !group.lines.contains(index) { group.lines.append(index) }
                pending = group
            } else {
                // Wait one more window after it settles for another button to settle too.
                pending = ([index], line.lastEdge, at + settings.ambiguityWindow)
            }
        } else if line.stuck {
            line.stuck = false
            out.append(.recovered(line: index, at: line.lastEdge))
        }
        lines[index] = line
        if settings.ambiguityWindow == .zero { out += flushPending(at: at) }
        return out
    }

    private mutating func flushPending(at now: MonotonicInstant) -> [ButtonSignal] {
        guard let group = pending, now >= group.deadline else { return [] }
        pending = nil
        if group.lines.count == 1 { return [.press(line: group.lines[0], at: group.at)] }
        return [.simultaneous(lines: group.lines.sorted(), at: group.at)]
    }
}
