/// A rating scale: the levels a citizen can choose from and which of them count as satisfied.
///
/// ```swift
/// let scale = Scale.vn3
/// scale.label(for: 3)          // Label(vi: "Rất hài lòng", en: "Very satisfied")
/// scale.isSatisfied(2)         // true
/// ```
public enum Scale: String, Sendable, Codable, CaseIterable {
    /// Vietnam's one-stop evaluation forms: 3 Rất hài lòng, 2 Hài lòng, 1 Không hài lòng.
    case vn3
    /// Four smiley buttons, as on satisfaction terminals.
    case happy4
    /// Five levels, as in the ministry portal surveys.
    case vn5

    /// A text in Vietnamese with its English alongside.
    public struct Label: Sendable, Hashable, Codable {
        public var vi: String
        public var en: String
        public init(vi: String, en: String) {
            self.vi = vi
            self.en = en
        }
    }

    /// The levels from best to worst.
    public var levels: [Int] {
        switch self {
        case .vn3: [3, 2, 1]
        case .happy4: [4, 3, 2, 1]
        case .vn5: [5, 4, 3, 2, 1]
        }
    }

    /// Levels that count as "satisfied" in the satisfaction rate.
    public var satisfiedLevels: Set<Int> {
        switch self {
        case .vn3: [3, 2]
        case .happy4: [4, 3]
        case .vn5: [5, 4]
        }
    }

    public func contains(_ level: Int) -> Bool { levels.contains(level) }

    public func isSatisfied(_ level: Int) -> Bool {
        // The two top levels of every scale; a switch, as reports ask once per rollup row (building
        // `satisfiedLevels` each time showed in their profile).
        switch self {
        case .vn3: level == 3 || level == 2
        case .happy4: level == 4 || level == 3
        case .vn5: level == 5 || level == 4
        }
    }

    /// The label of a level, or `nil` when the scale has no such level.
    public func label(for level: Int) -> Label? {
        switch (self, level) {
        case (.vn3, 3): Label(vi: "Rất hài lòng", en: "Very satisfied")
        case (.vn3, 2): Label(vi: "Hài lòng", en: "Satisfied")
        case (.vn3, 1): Label(vi: "Không hài lòng", en: "Not satisfied")
        case (.happy4, 4): Label(vi: "Rất hài lòng", en: "Very happy")
        case (.happy4, 3): Label(vi: "Hài lòng", en: "Happy")
        case (.happy4, 2): Label(vi: "Chưa hài lòng", en: "Unhappy")
        case (.happy4, 1): Label(vi: "Rất không hài lòng", en: "Very unhappy")
        case (.vn5, 5): Label(vi: "Rất hài lòng", en: "Very satisfied")
        case (.vn5, 4): Label(vi: "Hài lòng", en: "Satisfied")
        case (.vn5, 3): Label(vi: "Bình thường", en: "Neutral")
        case (.vn5, 2): Label(vi: "Không hài lòng", en: "Dissatisfied")
        case (.vn5, 1): Label(vi: "Rất không hài lòng", en: "Very dissatisfied")
        default: nil
        }
    }
}
