public import AsyncHTTPClient
import Foundation
public import HailongDomain
import NIOCore
import NIOHTTP1

/// What the server said to one batch.
public enum IngestAnswer: Sendable, Equatable {
    /// 200: everything up to `acknowledgedSeq` is durably stored.
    case acknowledged(Int64)
    /// 409: the server's log ends at `acknowledgedSeq`; resend from the next seq.
    case gap(acknowledgedSeq: Int64)
    /// Any other answer: nothing was stored; worth retrying later (after a fix or a restart).
    case refused(status: Int, message: String)
}

/// How batches reach the server. The real one is HTTP; tests put a failing or recording one in.
public protocol UplinkTransport: Sendable {
    /// Sends one batch. Throws when the server could not be reached or did not answer.
    func send(_ batch: IngestBatch) async throws -> IngestAnswer
}

/// `POST /v1/ingest` with the board's bearer token over AsyncHTTPClient.
public struct HTTPUplinkTransport: UplinkTransport {
    let client: HTTPClient
    let url: String
    let token: String

    public init(client: HTTPClient, server: String, token: String) {
        self.client = client
        url = (UplinkHTTP.base(server) ?? server) + "/v1/ingest"
        self.token = token
    }

    public func send(_ batch: IngestBatch) async throws -> IngestAnswer {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(batch)))
        let response = try await client.execute(request, timeout: .seconds(60))
        let body = Data(buffer: try await response.body.collect(upTo: 1 << 20))
        switch response.status.code {
        case 200:
            let reply = try JSONDecoder().decode(IngestReply.self, from: body)
            return .acknowledged(reply.acknowledgedSeq)
        case 409:
            if let reply = try? JSONDecoder().decode(IngestReply.self, from: body) { return .gap(acknowledgedSeq: reply.acknowledgedSeq) }
            return .refused(status: 409, message: String(decoding: body.prefix(500), as: UTF8.self))
        default:
            return .refused(status: Int(response.status.code), message: String(decoding: body.prefix(500), as: UTF8.self))
        }
    }
}
