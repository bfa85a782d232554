import Prometheus
import Synchronization

/// The server's Prometheus metrics, held by the application (not the global MetricsSystem) so
/// tests can build several applications in one process.
final class ServerMetrics: Sendable {
    enum Reject: String { case unauthorized, forbidden, invalid, gap }

    let registry = PrometheusCollectorRegistry()
    private let events: Counter
    private let batches: Counter
    private let latency: DurationHistogram
    private let boardsSeen: Gauge
    private let seen = Mutex<Set<String>>([])

    init() {
        events = registry.makeCounter(name: "hailong_ingest_events_total", help: "Events newly stored by ingest")
        batches = registry.makeCounter(name: "hailong_ingest_batches_total", help: "Ingest batches accepted (replays included)")
        latency = registry.makeDurationHistogram(
            name: "hailong_ingest_duration_seconds",
            buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1)],
            help: "Time to handle an accepted ingest batch")
        boardsSeen = registry.makeGauge(name: "hailong_boards_seen", help: "Boards that sent a batch since the server started")
        for reason in [Reject.unauthorized, .forbidden, .invalid, .gap] {
            _ = registry.makeCounter(name: "hailong_ingest_rejects_total", labels: [("reason", reason.rawValue)], help: "Ingest batches refused")
        }
    }

    func rejects(_ reason: Reject) {
        registry.makeCounter(name: "hailong_ingest_rejects_total", labels: [("reason", reason.rawValue)], help: "Ingest batches refused").increment()
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
