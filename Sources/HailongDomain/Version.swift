/// The version of Hailong's programs, reported in status snapshots and `--version`.
public enum HailongVersion {
    public static let current = "0.1.0"
}
