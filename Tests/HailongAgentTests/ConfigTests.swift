import HailongAgent
import HailongDomain
import Testing

@Suite("agent.yaml")
struct ConfigTests {
    @Test("an empty file gives every default of DESIGN §8")
    func defaults() throws {
        let config = try AgentConfig(yaml: "", file: "agent.yaml")
        #expect(config.counter == "Quầy 1")
        #expect(config.scale == .vn3)
        #expect(config.gpio.backend == .libgpiod && config.gpio.chip == "gpiochip0")
        #expect(config.gpio.buttons == [3: 17, 2: 27, 1: 22])
        #expect(config.gpio.readyLED == 5 && config.gpio.thanksLED == 6 && config.gpio.faultLED == 13)
        #expect(config.gpio.activeLow && config.gpio.bias == .pullUp)
        #expect(config.gpio.debounce == .milliseconds(30) && config.gpio.stuckAfter == .seconds(10))
        #expect(config.rating.window == .seconds(60) && config.rating.spamInterval == .seconds(5) && config.rating.unbound == .record)
        #expect(config.storage.path == "/var/lib/hailong/agent.db" && config.storage.retainDays == 90)
        #expect(config.api.host == "127.0.0.1" && config.api.port == 8731 && config.api.tokenFile == "/etc/hailong/api-token")
        #expect(config.uplink.server == "" && config.uplink.detail == .events)
    }

    @Test("the example config in board/ parses")
    func example() throws {
        let path = #filePath.replacingOccurrences(of: "Tests/HailongAgentTests/ConfigTests.swift", with: "board/agent.example.yaml")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        _ = try AgentConfig(yaml: text, file: path)
    }

    @Test("a full config with per-button LEDs")
    func full() throws {
        let yaml = """
            counter: "Quầy 2 – Tư pháp"
            scale: vn5
            gpio:
              backend: simulated
              buttons: {5: 1, 4: 2, 3: 3, 2: 4, 1: 5}
              leds: {ready: 10, thanks: 11, fault: 12, 5: 20}
              bias: pull-down
              active_low: false
              debounce_ms: 10
            rating: {window_s: 90, spam_interval_s: 0, unbound: ignore}
            api: {listen: "0.0.0.0:9000"}
            """
        let config = try AgentConfig(yaml: yaml, file: "x.yaml")
        #expect(config.scale == .vn5 && config.gpio.buttonLevels == [5, 4, 3, 2, 1])
        #expect(config.gpio.buttonLEDs == [5: 20])
        #expect(config.gpio.ledRoles.map(\.offset) == [10, 11, 12, 20])
        #expect(config.rating.unbound == .ignore && config.rating.spamInterval == .zero)
        #expect(config.api.host == "0.0.0.0" && config.api.port == 9000)
    }

    @Test(
        "bad config: a clear error naming the file, line and key",
        arguments: [
            ("counter: x\ngpio:\n  buton: {3: 1}\n", "x.yaml:3: gpio.buton: unknown key (did you mean 'gpio.buttons'?)"),
            ("sclae: vn3\n", "x.yaml:1: sclae: unknown key (did you mean 'scale'?)"),
            ("scale: vn7\n", "x.yaml:1: scale: 'vn7' is not one of vn3 | happy4 | vn5"),
            ("gpio:\n  buttons: {4: 17}\n", "x.yaml:2: gpio.buttons.4: '4' is not a level of scale vn3 (levels 3, 2, 1)"),
            ("gpio:\n  debounce_ms: lots\n", "x.yaml:2: gpio.debounce_ms: expected a whole number, got 'lots'"),
            ("rating: {window_s: 0}\n", "x.yaml:1: rating.window_s: 0 is out of range (1–86400)"),
            ("api: {listen: nowhere}\n", "x.yaml:1: api.listen: 'nowhere' is not HOST:PORT (e.g. 127.0.0.1:8731)"),
            ("gpio:\n  leds: {ready: 17}\n", "x.yaml:2: gpio.leds: line 17 is used twice (button 3 and ready LED)"),
            // Two buttons on one line is the buttons' mistake, not the LEDs'.
            ("gpio:\n  buttons: {3: 17, 2: 17, 1: 22}\n", "x.yaml:2: gpio.buttons: line 17 is used twice (button 3 and button 2)"),
            ("api: {head_timeout_s: 0}\n", "x.yaml:1: api.head_timeout_s: 0 is out of range (1–3600)"),
            ("gpio:\n  buttons: {3: -1}\n", "x.yaml:2: gpio.buttons.3: -1 is not a line offset (0–1023)"),
            ("gpio: [1, 2]\n", "x.yaml:1: gpio: expected a mapping of keys"),
            ("counter: [unclosed\n", "x.yaml:2: not valid YAML: "),
        ])
    func bad(yaml: String, message: String) {
        do {
            _ = try AgentConfig(yaml: yaml, file: "x.yaml")
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect(error.description.hasPrefix(message), "\(error.description)")
        }
    }
}
