/// When a one-stop counter is open, in its unit's local time: Monday to Friday 07:30–17:00 and
/// Saturday morning 07:30–11:30, the usual hours of Vietnam's one-stop departments. A board that
/// says nothing for an hour inside them is worth a technician's look (`silentBoard`).
public struct OpeningHours: Equatable, Sendable {
    /// Per weekday (Monday 0 … Sunday 6), the open spans in minutes after local midnight.
    public var spans: [[ClosedRange<Int>]]

    public init(spans: [[ClosedRange<Int>]]) { self.spans = spans }

    public static let standard = OpeningHours(spans: [
        [450...1020], [450...1020], [450...1020], [450...1020], [450...1020], [450...690], [],
    ])

    /// Whether the counter is open at `localSecond` (seconds since 1970-01-01 local).
    public func isOpen(localSecond: Int64) -> Bool {
        let day = localSecond >= 0 ? localSecond / 86_400 : (localSecond - 86_399) / 86_400
        let weekday = Int(((day + 3) % 7 + 7) % 7)
        let minute = Int((localSecond - day * 86_400) / 60)
        return weekday < spans.count && spans[weekday].contains { $0.contains(minute) }
    }
}
