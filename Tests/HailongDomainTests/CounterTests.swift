import HailongDomain
import Testing

/// Helpers: times in milliseconds of monotonic clock.
func ms(_ value: Int64) -> MonotonicInstant { MonotonicInstant(nanoseconds: value * 1_000_000) }
let dossier = try! DossierCode("000.30.25.H17-240702-0012")  // test fixture, a constant
let other = try! DossierCode("000.30.25.H17-240702-0013")
let ana = try! ClerkID("Nguyễn Thị Ánh")
let binh = try! ClerkID("Trần Văn Bình")

/// A scripted run of the counter: inputs at times, and what each step is expected to do.
struct Script {
    var counter: Counter
    init(_ settings: Counter.Settings = .init()) { counter = Counter(settings: settings) }

    @discardableResult
    mutating func at(_ t: Int64, _ input: Counter.Input) -> Counter.Step { counter.step(input, at: ms(t)) }
}

func kinds(_ step: Counter.Step) -> [EventKind] { step.events.map(\.kind) }

@Suite("Counter state machine (DESIGN §2)")
struct CounterTests {
    @Test("a press in an open session binds to its dossier and clerk, stores rating then session rated, then thanks")
    func pressBindsToSession() {
        var s = Script()
        s.at(0, .clerkSignIn(ana))
        let open = s.at(1000, .openSession(dossier: dossier, clerk: ana))
        #expect(open.leds == [.init(.ready, .blinking)])
        #expect(open.events.isEmpty)
        let press = s.at(5000, .press(level: 3))
        #expect(press.press == .rated(level: 3, binding: .dossier))
        #expect(kinds(press) == [.rating, .session])
        #expect(press.events[0].dossier == dossier && press.events[0].clerk == ana && press.events[0].level == 3)
        #expect(press.events[1].outcome == .rated)
        #expect(press.leds == [.init(.ready, .off), .init(.thanks, .on)])
        #expect(s.counter.session == nil)
    }

    @Test("a second press in a session is suppressed (spam), and never rates the closed session")
    func secondPressSuppressed() {
        var s = Script()
        s.at(0, .openSession(dossier: dossier, clerk: ana))
        s.at(100, .press(level: 3))
        let second = s.at(900, .press(level: 1))
        #expect(second.press == .suppressed(.spam))
        #expect(kinds(second) == [.suppressed])
        #expect(second.events[0].dossier == nil)
    }

    @Test("a press before the session opens is not carried into it")
    func pressBeforeSessionNotCarried() {
        var s = Script()
        s.at(0, .clerkSignIn(ana))
        let early = s.at(1000, .press(level: 1))
        #expect(early.press == .rated(level: 1, binding: .clerk))
        let open = s.at(2000, .openSession(dossier: dossier, clerk: ana))
        #expect(open.events.isEmpty)
        #expect(s.counter.session?.dossier == dossier)
        // The session's own citizen presses later: it is theirs, even within the spam interval.
        let press = s.at(3000, .press(level: 3))
        #expect(press.press == .rated(level: 3, binding: .dossier))
    }

    @Test("a press stamped before the session opened, processed after it, stays outside it")
    func latePressFromBeforeSession() {
        var s = Script()
        s.at(2000, .openSession(dossier: dossier, clerk: ana))
        let late = s.at(1990, .press(level: 2))
        #expect(late.press == .rated(level: 2, binding: .counter))
        #expect(s.counter.session?.dossier == dossier)
    }

    @Test("the window expires: the session closes unrated at its deadline; a later press is not its")
    func windowExpires() {
        var s = Script(.init(ratingWindow: .seconds(60)))
        s.at(0, .openSession(dossier: dossier, clerk: ana))
        #expect(s.counter.nextDeadline == ms(60_000))
        let tick = s.at(60_500, .tick)
        #expect(kinds(tick) == [.session])
        #expect(tick.events[0].outcome == .unrated && tick.events[0].reason == .expired)
        #expect(tick.events[0].at == ms(60_000))
        #expect(tick.leds == [.init(.ready, .off)])
        let press = s.at(61_000, .press(level: 3))
        #expect(press.press == .rated(level: 3, binding: .counter))
    }

    @Test("a press at exactly the deadline is too late; one just before it counts")
    func windowBoundary() {
        var a = Script(.init(ratingWindow: .seconds(60)))
        a.at(0, .openSession(dossier: dossier, clerk: ana))
        let late = a.at(60_000, .press(level: 3))
        #expect(kinds(late) == [.session, .rating])
        #expect(late.events[1].binding == .counter)
        var b = Script(.init(ratingWindow: .seconds(60)))
        b.at(0, .openSession(dossier: dossier, clerk: ana))
        #expect(b.at(59_999, .press(level: 3)).press == .rated(level: 3, binding: .dossier))
    }

    @Test("a new session supersedes the open one, which closes unrated")
    func superseded() {
        var s = Script()
        s.at(0, .openSession(dossier: dossier, clerk: ana))
        let next = s.at(10_000, .openSession(dossier: other, clerk: binh))
        #expect(kinds(next) == [.session])
        #expect(next.events[0].dossier == dossier && next.events[0].outcome == .unrated && next.events[0].reason == .superseded)
        #expect(next.leds.isEmpty)  // still blinking: the new session expects a rating
        let press = s.at(11_000, .press(level: 2))
        #expect(press.events[0].dossier == other && press.events[0].clerk == binh)
    }

    @Test("closing a session records it unrated; closing none is refused and changes nothing")
    func closeSession() {
        var s = Script()
        let none = s.at(0, .closeSession)
        #expect(none.refusal == .noOpenSession && none.events.isEmpty)
        s.at(1, .openSession(dossier: dossier, clerk: ana))
        let close = s.at(2, .closeSession)
        #expect(close.events.map(\.reason) == [.closed])
        #expect(close.leds == [.init(.ready, .off)])
    }

    @Test("a closed session is never rated later", arguments: [Counter.Input.closeSession, .tick])
    func closedNeverRated(closing: Counter.Input) {
        var s = Script(.init(ratingWindow: .seconds(10)))
        s.at(0, .openSession(dossier: dossier, clerk: ana))
        s.at(closing == .tick ? 10_000 : 5_000, closing)
        let press = s.at(12_000, .press(level: 3))
        #expect(press.events.allSatisfy { $0.dossier == nil })
        #expect(press.events.allSatisfy { $0.kind != .session })
    }

    @Test(
        "unbound presses: clerk binding, counter binding, or dropped",
        arguments: [
            (Counter.UnboundPolicy.record, true, Counter.PressResult.rated(level: 2, binding: .clerk)),
            (.record, false, .rated(level: 2, binding: .counter)),
            (.ignore, true, .dropped),
            (.ignore, false, .dropped),
        ])
    func unbound(policy: Counter.UnboundPolicy, signedIn: Bool, expected: Counter.PressResult) {
        var s = Script(.init(unbound: policy))
        if signedIn { s.at(0, .clerkSignIn(ana)) }
        let press = s.at(1000, .press(level: 2))
        #expect(press.press == expected)
        if expected == .dropped {
            #expect(press.events.isEmpty && press.leds.isEmpty)
        } else {
            #expect(press.events.first?.clerk == (signedIn ? ana : nil))
        }
    }

    @Test(
        "spam interval: suppressed within it, accepted from its end",
        arguments: [(4_999 as Int64, true), (5_000, false), (60_000, false), (1, true)])
    func spam(gap: Int64, suppressed: Bool) {
        var s = Script(.init(spamInterval: .seconds(5)))
        s.at(0, .press(level: 3))
        let again = s.at(gap, .press(level: 1))
        #expect(again.press == (suppressed ? .suppressed(.spam) : .rated(level: 1, binding: .counter)))
    }

    @Test("suppressed presses do not extend the spam interval")
    func suppressedDoNotExtend() {
        var s = Script(.init(spamInterval: .seconds(5)))
        s.at(0, .press(level: 3))
        s.at(4000, .press(level: 3))
        #expect(s.at(5000, .press(level: 3)).press == .rated(level: 3, binding: .counter))
    }

    @Test("the first press of a session opened after the last accepted press counts despite the spam interval")
    func nextCitizenNotSpam() {
        var s = Script(.init(spamInterval: .seconds(5)))
        s.at(0, .openSession(dossier: dossier, clerk: ana))
        s.at(1000, .press(level: 3))
        s.at(1500, .openSession(dossier: other, clerk: ana))
        let press = s.at(2000, .press(level: 1))
        #expect(press.press == .rated(level: 1, binding: .dossier))
        #expect(press.events[0].dossier == other)
    }

    @Test("two buttons together are ambiguous: suppressed, the session stays open")
    func ambiguous() {
        var s = Script()
        s.at(0, .openSession(dossier: dossier, clerk: ana))
        let both = s.at(100, .simultaneousPress(levels: [3, 1]))
        #expect(both.press == .suppressed(.ambiguous))
        #expect(kinds(both) == [.suppressed])
        #expect(both.events[0].reason == .ambiguous && both.events[0].dossier == dossier)
        #expect(s.counter.session != nil)
        #expect(s.at(200, .press(level: 2)).press == .rated(level: 2, binding: .dossier))
    }

    @Test("a stuck line: fault event and LED, its presses ignored until release, then cleared")
    func stuckLine() {
        var s = Script()
        let stuck = s.at(10_000, .lineStuck(level: 3))
        #expect(kinds(stuck) == [.fault] && stuck.events[0].reason == .stuck && stuck.events[0].level == 3)
        #expect(stuck.leds == [.init(.fault, .on)])
        #expect(s.at(10_100, .lineStuck(level: 3)).events.isEmpty)
        #expect(s.at(11_000, .press(level: 3)).press == .dropped)
        // With the stuck line ignored, a "simultaneous" press with it is just the other button.
        #expect(s.at(12_000, .simultaneousPress(levels: [3, 2])).press == .rated(level: 2, binding: .counter))
        let released = s.at(20_000, .lineReleased(level: 3))
        #expect(released.events.map(\.reason) == [.released])
        #expect(released.leds.contains(.init(.fault, .off)))
        #expect(s.at(30_000, .press(level: 3)).press == .rated(level: 3, binding: .counter))
    }

    @Test("the fault LED stays on while any line is stuck")
    func twoStuckLines() {
        var s = Script()
        s.at(0, .lineStuck(level: 3))
        s.at(1, .lineStuck(level: 2))
        #expect(s.at(2, .lineReleased(level: 3)).leds.isEmpty)
        #expect(s.at(3, .lineReleased(level: 2)).leds == [.init(.fault, .off)])
    }

    @Test("levels outside the scale are refused", arguments: [Scale.vn3, .happy4, .vn5])
    func invalidLevel(scale: Scale) {
        var s = Script(.init(scale: scale))
        #expect(s.at(0, .press(level: scale.levels.count + 1)).press == .invalidLevel)
        #expect(s.at(0, .press(level: 0)).press == .invalidLevel)
        #expect(s.at(0, .press(level: scale.levels.count)).press == .rated(level: scale.levels.count, binding: .counter))
    }

    @Test("clerk sign-in, switching clerk signs the previous one out; sign-out of nobody is refused")
    func clerks() {
        var s = Script()
        #expect(kinds(s.at(0, .clerkSignIn(ana))) == [.clerkSignin])
        #expect(s.at(1, .clerkSignIn(ana)).events.isEmpty)
        let swap = s.at(2, .clerkSignIn(binh))
        #expect(kinds(swap) == [.clerkSignout, .clerkSignin])
        #expect(swap.events.map(\.clerk) == [ana, binh])
        #expect(kinds(s.at(3, .clerkSignOut)) == [.clerkSignout])
        #expect(s.at(4, .clerkSignOut).refusal == .noClerkSignedIn)
    }

    @Test("the thank-you light goes out after its time; nextDeadline says when")
    func thanksLight() {
        var s = Script(.init(thanksDuration: .seconds(3)))
        s.at(0, .press(level: 3))
        #expect(s.counter.nextDeadline == ms(3000))
        #expect(s.at(2999, .tick).leds.isEmpty)
        #expect(s.at(3000, .tick).leds == [.init(.thanks, .off)])
        #expect(s.counter.nextDeadline == nil)
    }

    @Test("idle counter has no deadline: nothing wakes the board")
    func idle() {
        let counter = Counter(settings: .init())
        #expect(counter.nextDeadline == nil)
    }
}
