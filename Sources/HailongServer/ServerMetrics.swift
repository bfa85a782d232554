import HailongHTTP
import Prometheus
import Synchronization

/// The server's Prometheus metrics, held by the application (not the global MetricsSystem) so
/// tests can build several applications in one process.
final class ServerMetrics: Sendable {
    enum Reject: String { case unauthorized, forbidden, invalid, gap, unavailable }
    /// Why a request was refused before it reached its handler's work.
    enum AuthFailure: String, CaseIterable { case login, throttled, unauthorized, forbidden }

    let registry = PrometheusCollectorRegistry()
    private let events: Counter
    private let batches: Counter
    private let latency: DurationHistogram
    private let boardsSeen: Gauge
    private let seen = Mutex<Set<String>>([])

    /// A metric's name and help (exposed names unchanged: `metric` + `_` + `unit`, when a unit).
    private static func name(_ metric: String, unit: String = "", _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: metric, unitName: unit, helpText: help)
    }

    private static var rejectsName: MetricNameDescriptor { name("hailong_ingest_rejects", unit: "total", "Ingest batches refused") }
    private static var authName: MetricNameDescriptor {
        name("hailong_auth_failures", unit: "total", "Requests refused: failed and throttled logins, 401 and 403 answers")
    }
    private static var passwordChecksName: MetricNameDescriptor {
        name("hailong_password_checks", unit: "total", "bcrypt verifications done for logins, by the cost of the hash checked")
    }
    private static var connectionsName: MetricNameDescriptor {
        name("hailong_http_connections", "HTTP connections: open now, and evicted, refused or timed out since start")
    }

    init() {
        events = registry.makeCounter(descriptor: Self.name("hailong_ingest_events", unit: "total", "Events newly stored by ingest"))
        batches = registry.makeCounter(descriptor: Self.name("hailong_ingest_batches", unit: "total", "Ingest batches accepted (replays included)"))
        latency = registry.makeDurationHistogram(
            descriptor: Self.name("hailong_ingest_duration", unit: "seconds", "Time to handle an accepted ingest batch"),
            buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1)])
        boardsSeen = registry.makeGauge(descriptor: Self.name("hailong_boards_seen", "Boards that sent a batch since the server started"))
        for reason in [Reject.unauthorized, .forbidden, .invalid, .gap, .unavailable] {
            _ = registry.makeCounter(descriptor: Self.rejectsName, labels: [("reason", reason.rawValue)])
        }
        for reason in AuthFailure.allCases {
            _ = registry.makeCounter(descriptor: Self.authName, labels: [("reason", reason.rawValue)])
        }
    }

    func authFailure(_ reason: AuthFailure) {
        registry.makeCounter(descriptor: Self.authName, labels: [("reason", reason.rawValue)]).increment()
    }

    func passwordChecked(cost: String) {
        registry.makeCounter(descriptor: Self.passwordChecksName, labels: [("cost", cost)]).increment()
    }

    /// The connection guard's counts, read at scrape time.
    func connections(_ counts: ConnectionRegistry.Counts) {
        for (state, value) in [("open", counts.open), ("evicted", counts.evicted), ("refused", counts.refused), ("timed_out", counts.timedOut)] {
            registry.makeGauge(descriptor: Self.connectionsName, labels: [("state", state)]).set(Double(value))
        }
    }

    func rejects(_ reason: Reject) {
        registry.makeCounter(descriptor: Self.rejectsName, labels: [("reason", reason.rawValue)]).increment()
    }

    func stored(board: String, events count: Int, duration: Duration) {
        batches.increment()
        events.increment(by: Int64(count))
        latency.record(duration)
        let number = seen.withLock { seen in
            seen.insert(board)
            return seen.count
        }
        boardsSeen.set(Double(number))
    }

    func text() -> String { registry.emitToString() }
}
