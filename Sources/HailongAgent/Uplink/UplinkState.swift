public import HailongDomain
import Synchronization

/// What the uplink has done, for `GET /v1/status` and `GET /metrics` (shared with the service).
public final class UplinkState: Sendable {
    public struct Snapshot: Sendable, Equatable, Codable {
        public var server: String
        public var boardId: String?
        /// Why the board is not forwarding, when it is not (not enrolled, no server).
        public var disabled: String?
        public var lastUpload: String?
        public var lastError: String?
        /// The highest seq the server acknowledged in this run.
        public var acknowledgedSeq: Int64?
        public var failuresInRow: Int
        public var batches: Int64
        public var eventsSent: Int64
        public var failures: Int64
    }

    private let value: Mutex<Snapshot>

    public init(server: String, boardId: String?, disabled: String?, lastUpload: WallTime?) {
        value = Mutex(
            Snapshot(
                server: server, boardId: boardId, disabled: disabled, lastUpload: lastUpload?.rfc3339, lastError: nil,
                acknowledgedSeq: nil, failuresInRow: 0, batches: 0, eventsSent: 0, failures: 0))
    }

    public var snapshot: Snapshot { value.withLock { $0 } }

    func succeeded(acknowledged: Int64, events: Int, at time: WallTime) {
        value.withLock {
            $0.lastUpload = time.rfc3339
            $0.acknowledgedSeq = acknowledged
            $0.failuresInRow = 0
            $0.lastError = nil
            $0.batches += 1
            $0.eventsSent += Int64(events)
        }
    }

    func failed(_ reason: String) {
        value.withLock {
            $0.lastError = reason
            $0.failuresInRow += 1
            $0.failures += 1
        }
    }
}
