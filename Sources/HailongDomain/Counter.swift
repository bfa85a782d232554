/// The counter's whole state machine (DESIGN §2), pure: driven by (input, time), it returns
/// the effects to carry out — events to store, LEDs to set — and never does I/O itself.
///
/// ```swift
/// var counter = Counter(settings: .init(scale: .vn3))
/// _ = counter.step(.clerkSignIn(clerk), at: t0)
/// _ = counter.step(.openSession(dossier: d, clerk: clerk), at: t1)   // ready LED blinks
/// let step = counter.step(.press(level: 3), at: t2)
/// // step.events: rating (binding .dossier) then session (outcome .rated);
/// // step.leds: ready off, thanks on — to be applied only after the events are committed.
/// ```
///
/// Time is the monotonic clock. Timers (the rating window, the thank-you light) are not run
/// here: `nextDeadline` says when the driver must call `step(.tick, at:)` next.
public struct Counter: Sendable {
    public struct Settings: Sendable, Equatable {
        public var scale: Scale
        /// How long after a session opens a press still rates it (`rating.window_s`).
        public var ratingWindow: Duration
        /// Presses this soon after the last accepted one are suppressed (`rating.spam_interval_s`).
        public var spamInterval: Duration
        /// What to do with a press when no session is open (`rating.unbound`).
        public var unbound: UnboundPolicy
        /// How long the thank-you LED stays lit.
        public var thanksDuration: Duration

        public init(
            scale: Scale = .vn3, ratingWindow: Duration = .seconds(60), spamInterval: Duration = .seconds(5),
            unbound: UnboundPolicy = .record, thanksDuration: Duration = .seconds(3)
        ) {
            self.scale = scale
            self.ratingWindow = ratingWindow
            self.spamInterval = spamInterval
            self.unbound = unbound
            self.thanksDuration = thanksDuration
        }
    }

    public enum UnboundPolicy: String, Sendable, Codable, CaseIterable {
        case record, ignore
    }

    public enum Input: Equatable, Sendable {
        case clerkSignIn(ClerkID)
        case clerkSignOut
        /// "Clerk C finished serving dossier D": opens a rating window.
        case openSession(dossier: DossierCode, clerk: ClerkID)
        /// The clerk's software withdrew the session: it closes unrated.
        case closeSession
        /// One debounced press of one button.
        case press(level: Int)
        /// Two or more buttons pressed together (within the debounce window).
        case simultaneousPress(levels: [Int])
        /// A button held longer than `gpio.stuck_s`.
        case lineStuck(level: Int)
        /// A stuck button was released.
        case lineReleased(level: Int)
        /// Time passed: expire the window, put out the thank-you light.
        case tick
    }

    public enum LED: String, Sendable, Codable, CaseIterable {
        case ready, thanks, fault
    }

    public enum LEDState: String, Sendable, Codable {
        case off, on, blinking
    }

    /// What became of a press.
    public enum PressResult: Equatable, Sendable {
        case rated(level: Int, binding: Binding)
        case suppressed(EventReason)
        /// No session open and `rating.unbound: ignore`, or the line is faulted.
        case dropped
        /// Not a level of this scale.
        case invalidLevel
    }

    /// Why an input was refused; the state is unchanged.
    public enum Refusal: Error, Equatable, Sendable {
        case noOpenSession
        case noClerkSignedIn
    }

    /// The effects of one step, in order: store `events` (one transaction), then set `leds`.
    public struct Step: Equatable, Sendable {
        public var events: [EventDraft] = []
        public var leds: [LEDChange] = []
        public var press: PressResult?
        public var refusal: Refusal?
    }

    public struct LEDChange: Equatable, Sendable {
        public var led: LED
        public var state: LEDState
        public init(_ led: LED, _ state: LEDState) {
            self.led = led
            self.state = state
        }
    }

    /// An open service session.
    public struct Session: Equatable, Sendable {
        public var dossier: DossierCode
        public var clerk: ClerkID
        public var openedAt: MonotonicInstant
        public var deadline: MonotonicInstant
    }

    public let settings: Settings
    public private(set) var clerk: ClerkID?
    public private(set) var session: Session?
    public private(set) var lastAcceptedAt: MonotonicInstant?
    public private(set) var lastRating: EventDraft?
    public private(set) var stuckLevels: Set<Int> = []
    public private(set) var leds: [LED: LEDState] = [.ready: .off, .thanks: .off, .fault: .off]
    private var thanksUntil: MonotonicInstant?

    public init(settings: Settings, clerk: ClerkID? = nil) {
        self.settings = settings
        self.clerk = clerk
    }

    /// When `step(.tick, at:)` must be called next, if ever.
    public var nextDeadline: MonotonicInstant? {
        switch (session?.deadline, thanksUntil) {
        case (let a?, let b?): min(a, b)
        case (let a?, nil): a
        case (nil, let b?): b
        case (nil, nil): nil
        }
    }

    /// Feeds one input at monotonic time `now`. Timers due by `now` fire first.
    public mutating func step(_ input: Input, at now: MonotonicInstant) -> Step {
        var out = Step()
        expire(at: now, into: &out)
        switch input {
        case .tick:
            break
        case .clerkSignIn(let newClerk):
            if let current = clerk, current != newClerk {
                out.events.append(EventDraft(kind: .clerkSignout, at: now, clerk: current))
            }
            if clerk != newClerk {
                clerk = newClerk
                out.events.append(EventDraft(kind: .clerkSignin, at: now, clerk: newClerk))
            }
        case .clerkSignOut:
            guard let current = clerk else {
                out.refusal = .noClerkSignedIn
                break
            }
            clerk = nil
            out.events.append(EventDraft(kind: .clerkSignout, at: now, clerk: current))
        case .openSession(let dossier, let sessionClerk):
            if let old = session {
                out.events.append(closeUnrated(old, reason: .superseded, at: now))
            }
            session = Session(dossier: dossier, clerk: sessionClerk, openedAt: now, deadline: now + settings.ratingWindow)
            setLED(.ready, .blinking, &out)
        case .closeSession:
            guard let old = session else {
                out.refusal = .noOpenSession
                break
            }
            out.events.append(closeUnrated(old, reason: .closed, at: now))
            session = nil
            setLED(.ready, .off, &out)
        case .press(let level):
            press(level: level, at: now, into: &out)
        case .simultaneousPress(let levels):
            let valid = levels.filter { settings.scale.contains($0) && !stuckLevels.contains($0) }
            if valid.count >= 2 {
                out.events.append(
                    EventDraft(kind: .suppressed, at: now, dossier: session?.dossier, clerk: session?.clerk ?? clerk, reason: .ambiguous))
                out.press = .suppressed(.ambiguous)
            } else if let only = valid.first {
                press(level: only, at: now, into: &out)
            } else {
                out.press = .dropped
            }
        case .lineStuck(let level):
            if stuckLevels.insert(level).inserted {
                out.events.append(EventDraft(kind: .fault, at: now, level: level, reason: .stuck))
                setLED(.fault, .on, &out)
            }
        case .lineReleased(let level):
            if stuckLevels.remove(level) != nil {
                out.events.append(EventDraft(kind: .fault, at: now, level: level, reason: .released))
                if stuckLevels.isEmpty { setLED(.fault, .off, &out) }
            }
        }
        return out
    }

    private mutating func press(level: Int, at now: MonotonicInstant, into out: inout Step) {
        guard settings.scale.contains(level) else {
            out.press = .invalidLevel
            return
        }
        guard !stuckLevels.contains(level) else {
            out.press = .dropped
            return
        }
        // A press that happened before the open session began (its debounced edge can reach
        // us after the session was opened) belongs to no session: never carried into it.
        if let open = session, now >= open.openedAt {
            // The first press of a session opened after the last accepted press is the next
            // citizen's, whatever the spam interval says.
            let isFresh = lastAcceptedAt.map { open.openedAt > $0 } ?? true
            if !isFresh, let last = lastAcceptedAt, now - last < settings.spamInterval {
                suppress(level: level, at: now, dossier: open.dossier, clerk: open.clerk, into: &out)
                return
            }
            accept(EventDraft(kind: .rating, at: now, level: level, binding: .dossier, dossier: open.dossier, clerk: open.clerk), into: &out)
            out.events.append(EventDraft(kind: .session, at: now, dossier: open.dossier, clerk: open.clerk, outcome: .rated))
            session = nil
            setLED(.ready, .off, &out)
            setLED(.thanks, .on, &out)
            return
        }
        if let last = lastAcceptedAt, now - last < settings.spamInterval {
            suppress(level: level, at: now, dossier: nil, clerk: clerk, into: &out)
            return
        }
        guard settings.unbound == .record else {
            out.press = .dropped
            return
        }
        let binding: Binding = clerk == nil ? .counter : .clerk
        accept(EventDraft(kind: .rating, at: now, level: level, binding: binding, clerk: clerk), into: &out)
        setLED(.thanks, .on, &out)
    }

    private mutating func accept(_ rating: EventDraft, into out: inout Step) {
        out.events.append(rating)
        out.press = .rated(level: rating.level ?? 0, binding: rating.binding ?? .counter)
        lastAcceptedAt = rating.at
        lastRating = rating
        thanksUntil = rating.at + settings.thanksDuration
    }

    private func suppress(level: Int, at now: MonotonicInstant, dossier: DossierCode?, clerk: ClerkID?, into out: inout Step) {
        out.events.append(EventDraft(kind: .suppressed, at: now, level: level, dossier: dossier, clerk: clerk, reason: .spam))
        out.press = .suppressed(.spam)
    }

    private func closeUnrated(_ session: Session, reason: EventReason, at now: MonotonicInstant) -> EventDraft {
        EventDraft(kind: .session, at: now, dossier: session.dossier, clerk: session.clerk, outcome: .unrated, reason: reason)
    }

    private mutating func expire(at now: MonotonicInstant, into out: inout Step) {
        if let open = session, now >= open.deadline {
            // Recorded at the deadline, not at the (possibly late) tick.
            out.events.append(closeUnrated(open, reason: .expired, at: open.deadline))
            session = nil
            setLED(.ready, .off, &out)
        }
        if let until = thanksUntil, now >= until {
            thanksUntil = nil
            setLED(.thanks, .off, &out)
        }
    }

    private mutating func setLED(_ led: LED, _ state: LEDState, _ out: inout Step) {
        guard leds[led] != state else { return }
        leds[led] = state
        out.leds.removeAll { $0.led == led }
        out.leds.append(LEDChange(led, state))
    }
}
