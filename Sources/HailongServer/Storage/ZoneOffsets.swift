import Foundation
import HailongDomain
import Synchronization

/// Local calendar positions of UTC instants in a unit's time zone (IANA name), for rollup
/// buckets: reports count days and hours the way the unit lives them.
final class ZoneOffsets: Sendable {
    private let cache = Mutex<[String: TimeZone]>([:])

    func isValid(_ identifier: String) -> Bool { zone(identifier) != nil }

    private func zone(_ identifier: String) -> TimeZone? {
        cache.withLock { cache in
            if let zone = cache[identifier] { return zone }
            let zone = TimeZone(identifier: identifier)
            if let zone { cache[identifier] = zone }
            return zone
        }
    }

    /// Seconds east of UTC at the instant.
    func offset(_ identifier: String, atSecond second: Int64) -> Int64 {
        guard let zone = zone(identifier) else { return 0 }
        return Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(second))))
    }

    /// Local day number (days since 1970-01-01 on the local calendar) of a UTC second.
    func localDay(_ identifier: String, atSecond second: Int64) -> Int64 {
        floorDiv(second + offset(identifier, atSecond: second), 86_400)
    }

    /// The UTC second at which local day `day` starts.
    func startOfLocalDay(_ identifier: String, day: Int64) -> Int64 {
        let guess = day * 86_400
        // Offsets change rarely; two rounds settle a DST edge.
        var utc = guess - offset(identifier, atSecond: guess)
        utc = guess - offset(identifier, atSecond: utc)
        return utc
    }
}

func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

/// Month number used by the month rollup: year * 12 + (month - 1), from a local day number.
func monthNumber(ofDay day: Int64) -> Int64 {
    let (year, month, _) = CivilDate.fromDays(day)
    return year * 12 + month - 1
}

/// The week (Monday to Sunday) of a day number: week 0 is 1969-12-29…1970-01-04, so week `w`
/// holds the days `7w − 3 … 7w + 3`.
func weekNumber(ofDay day: Int64) -> Int64 { floorDiv(day + 3, 7) }
