import HailongDomain
import HailongGPIO
import Testing

func us(_ value: Int64) -> MonotonicInstant { MonotonicInstant(nanoseconds: value * 1000) }

/// Runs edges through a processor and lets time pass to `until`, collecting all signals.
func run(
    _ edges: [Edge], until end: Int64, lines: Int = 3, debounce: Duration = .milliseconds(30), window: Duration = .milliseconds(30),
    stuck: Duration = .seconds(10), initial: [Bool]? = nil
) -> [ButtonSignal] {
    var processor = ButtonProcessor(
        settings: .init(debounce: debounce, ambiguityWindow: window, stuckAfter: stuck),
        initial: initial ?? Array(repeating: false, count: lines), now: us(0))
    var signals: [ButtonSignal] = []
    for edge in edges { signals += processor.feed(edge) }
    signals += processor.advance(to: us(end))
    return signals
}

/// A bounce burst: `toggles` edges `gapUs` apart starting at `start`, ending in `final`.
func burst(line: Int, start: Int64, toggles: Int, gapUs: Int64, final: Bool) -> [Edge] {
    (0..<toggles).map { i in
        let active = (toggles - 1 - i) % 2 == 0 ? final : !final
        return Edge(line: line, active: active, at: us(start + Int64(i) * gapUs))
    }
}

@Suite("Debounce, simultaneous presses and stuck lines on kernel-style edge sequences")
struct ButtonProcessorTests {
    @Test("a clean press and release is one press, stamped at its edge")
    func clean() {
        let signals = run([Edge(line: 0, active: true, at: us(1000)), Edge(line: 0, active: false, at: us(150_000))], until: 1_000_000)
        #expect(signals == [.press(line: 0, at: us(1000))])
    }

    @Test("bounce bursts of 1–20 ms settle into one press", arguments: [(5, 200 as Int64), (9, 500), (7, 1000), (21, 1000), (11, 2000)])
    func bounce(toggles: Int, gapUs: Int64) {
        let press = burst(line: 1, start: 10_000, toggles: toggles, gapUs: gapUs, final: true)
        let releaseStart = 10_000 + Int64(toggles) * gapUs + 200_000
        let release = burst(line: 1, start: releaseStart, toggles: toggles, gapUs: gapUs, final: false)
        let signals = run(press + release, until: 2_000_000)
        #expect(signals.count == 1)
        if case .press(let line, _) = signals.first { #expect(line == 1) } else { Issue.record("expected a press, got \(signals)") }
    }

    @Test("with debounce off, a bounce burst is many presses (what the debounce is for)")
    func noDebounce() {
        let press = burst(line: 0, start: 0, toggles: 9, gapUs: 500, final: true)
        let signals = run(press, until: 1_000_000, debounce: .zero, window: .zero)
        #expect(signals.count > 1)
    }

    @Test("a glitch shorter than the debounce is no press")
    func glitch() {
        let signals = run([Edge(line: 2, active: true, at: us(0)), Edge(line: 2, active: false, at: us(10_000))], until: 1_000_000)
        #expect(signals.isEmpty)
    }

    @Test("two buttons together are one ambiguous signal; far apart, two presses")
    func together() {
        let both = run(
            burst(line: 0, start: 0, toggles: 5, gapUs: 300, final: true) + burst(line: 2, start: 4000, toggles: 3, gapUs: 300, final: true),
            until: 1_000_000)
        #expect(both.count == 1)
        if case .simultaneous(let lines, _) = both.first { #expect(lines == [0, 2]) } else { Issue.record("got \(both)") }
        let apart = run([Edge(line: 0, active: true, at: us(0)), Edge(line: 2, active: true, at: us(200_000))], until: 1_000_000)
        #expect(apart == [.press(line: 0, at: us(0)), .press(line: 2, at: us(200_000))])
    }

    @Test("held past the stuck limit: one press, then stuck, then recovered on release")
    func stuck() {
        let signals = run(
            [Edge(line: 0, active: true, at: us(0)), Edge(line: 0, active: false, at: us(12_000_000))], until: 13_000_000,
            stuck: .seconds(10))
        #expect(signals == [.press(line: 0, at: us(0)), .stuck(line: 0, at: us(10_000_000)), .recovered(line: 0, at: us(12_000_000))])
    }

    @Test("a line held when the agent starts is never a press, and is stuck after the limit")
    func heldAtStart() {
        let signals = run([], until: 11_000_000, stuck: .seconds(10), initial: [true, false, false])
        #expect(signals == [.stuck(line: 0, at: us(10_000_000))])
    }

    @Test("a held line reports no repeat presses; its chatter while held is absorbed")
    func chatterWhileHeld() {
        let edges = [Edge(line: 1, active: true, at: us(0))] + burst(line: 1, start: 500_000, toggles: 4, gapUs: 1000, final: true)
        let signals = run(edges, until: 2_000_000)
        #expect(signals == [.press(line: 1, at: us(0))])
    }

    @Test("nextDeadline: nothing pending when idle; the settle time after an edge")
    func deadlines() {
        var processor = ButtonProcessor(settings: .init(), initial: [false, false], now: us(0))
        #expect(processor.nextDeadline == nil)
        _ = processor.feed(Edge(line: 0, active: true, at: us(100)))
        #expect(processor.nextDeadline == us(30_100))
        _ = processor.advance(to: us(30_100))
        #expect(processor.nextDeadline == us(30_100) + .milliseconds(30))
        _ = processor.advance(to: us(60_100))
        // Now only the stuck timer of the held line remains.
        #expect(processor.nextDeadline == us(100) + .seconds(10))
    }

    @Test("edges for unknown lines are ignored")
    func unknownLine() {
        #expect(run([Edge(line: 7, active: true, at: us(0))], until: 1_000_000).isEmpty)
    }
}
