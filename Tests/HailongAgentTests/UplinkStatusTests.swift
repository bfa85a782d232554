import Foundation
import HailongAgent
import HailongDomain
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("The agent's uplink in status and metrics")
struct UplinkStatusTests {
    @Test("not enrolled: status says why it is not forwarding; /metrics (no token) shows the backlog")
    func notEnrolled() async throws {
        let t = try TestAgent(extra: "uplink: {server: \"https://hailong.example.gov.vn\"}")
        #expect(t.agent.enrollment == nil)
        try await t.agent.apiApplication().test(.router) { client in
            try await client.execute(uri: "/v1/clerk", method: .post, headers: t.auth, body: json(#"{"clerk":"NV01"}"#)) { response in
                #expect(response.status == .ok)
            }
            let status = try await client.execute(uri: "/v1/status", method: .get, headers: t.auth) { try decode(AgentStatus.self, $0.body) }
            #expect(status.uplink?.disabled?.contains("not enrolled: run hailong-agent enroll") == true)
            #expect(status.backlog == 1)
            let metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(metrics.contains("hailong_agent_backlog 1\n"))
            #expect(metrics.contains("hailong_agent_uplink_failures_total 0\n"))
            #expect(!metrics.contains("last_upload_timestamp"))
        }
    }

    @Test("enrolled with a CA file that is not a certificate: the agent refuses to start, naming the key")
    func badCAFile() throws {
        let dir = try temporaryDirectory()
        try Enrollment(server: "https://x", boardId: "b-1", token: "hlb_x", unit: "u", counter: "c", enrolledAt: "2026-11-23T00:00:00Z")
            .save(storagePath: dir + "/agent.db")
        try "garbage".write(toFile: dir + "/ca.pem", atomically: true, encoding: .utf8)
        let yaml = """
            gpio: {backend: simulated}
            storage: {path: \(dir)/agent.db}
            api: {token_file: \(dir)/token}
            uplink: {server: "https://x", ca_file: \(dir)/ca.pem}
            """
        do {
            _ = try Agent(config: AgentConfig(yaml: yaml, file: "test.yaml"), logger: .init(label: "test"))
            Issue.record("the agent started with a bad CA file")
        } catch {
            #expect("\(error)".contains("uplink.ca_file \(dir)/ca.pem: not a PEM certificate file"), "\(error)")
        }
    }
}
