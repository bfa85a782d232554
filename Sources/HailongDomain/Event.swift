/// What an entry of the board's event log records.
public enum EventKind: String, Sendable, Codable, CaseIterable {
    case rating, suppressed, session, clerkSignin, clerkSignout, fault
}

/// What a rating is bound to.
public enum Binding: String, Sendable, Codable, CaseIterable {
    /// A service session was open: the rating belongs to that dossier and its clerk.
    case dossier
    /// No session, but a clerk was signed in at the counter.
    case clerk
    /// Neither: the rating belongs to the counter only.
    case counter
}

/// How a service session ended.
public enum SessionOutcome: String, Sendable, Codable, CaseIterable {
    case rated, unrated
}

/// Why a press was suppressed, a session closed unrated, or a fault raised.
public enum EventReason: String, Sendable, Codable, CaseIterable {
    /// Suppressed: within the spam interval of the last accepted press.
    case spam
    /// Suppressed: two or more buttons pressed together.
    case ambiguous
    /// Unrated: the rating window expired.
    case expired
    /// Unrated: a new session was opened while this one was open.
    case superseded
    /// Unrated: the clerk's software closed the session.
    case closed
    /// Fault: a button was held longer than `gpio.stuck_s`.
    case stuck
    /// Fault cleared: the stuck button was released.
    case released
}

/// An event the counter decided to record, before the log gives it a sequence number and
/// wall-clock time.
public struct EventDraft: Equatable, Sendable {
    public var kind: EventKind
    public var at: MonotonicInstant
    public var level: Int?
    public var binding: Binding?
    public var dossier: DossierCode?
    public var clerk: ClerkID?
    public var outcome: SessionOutcome?
    public var reason: EventReason?

    public init(
        kind: EventKind, at: MonotonicInstant, level: Int? = nil, binding: Binding? = nil,
        dossier: DossierCode? = nil, clerk: ClerkID? = nil, outcome: SessionOutcome? = nil,
        reason: EventReason? = nil
    ) {
        self.kind = kind
        self.at = at
        self.level = level
        self.binding = binding
        self.dossier = dossier
        self.clerk = clerk
        self.outcome = outcome
        self.reason = reason
    }
}
