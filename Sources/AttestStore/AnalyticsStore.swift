import AttestCore

/// One usage figure the analytics table keeps. Usage analytics are not ledger entries: they are
/// aggregates of OTLP metrics (and of tool calls seen in OTLP logs and spans), kept next to the
/// ledger in a table that is neither hash-chained nor append-only (docs/OTLP.md, "Usage analytics").
public enum UsageMeasure: String, CaseIterable, Sendable, Hashable {
    case inputTokens = "input_tokens"
    case outputTokens = "output_tokens"
    case cacheReadTokens = "cache_read_tokens"
    case cacheCreationTokens = "cache_creation_tokens"
    case costUSD = "cost_usd"
    case toolCalls = "tool_calls"
    case sessions
    case linesAdded = "lines_added"
    case linesRemoved = "lines_removed"
    /// Lines modified, as Factory Droid counts them (neither added nor removed).
    case linesModified = "lines_modified"
    case commits
    case pullRequests = "pull_requests"
}

/// One observation of a usage figure.
public struct UsagePoint: Sendable, Hashable {
    /// Identifies one time series (metric name, data point attributes and resource). Cumulative
    /// points of one series are turned into increases; delta points are added as they are.
    public var series: String
    public var measure: UsageMeasure
    /// When the point was observed (the data point's time).
    public var time: Timestamp
    /// The series' start time (`start_time_unix_nano`); a new start means the counter restarted.
    public var startNanos: UInt64
    public var value: Double
    /// Cumulative temporality: `value` is the total since `startNanos`.
    public var cumulative: Bool
    public var user: String
    public var agent: String
    public var model: String

    public init(
        series: String,
        measure: UsageMeasure,
        time: Timestamp,
        startNanos: UInt64 = 0,
        value: Double,
        cumulative: Bool = false,
        user: String = "",
        agent: String = "",
        model: String = ""
    ) {
        self.series = series
        self.measure = measure
        self.time = time
        self.startNanos = startNanos
        self.value = value
        self.cumulative = cumulative
        self.user = user
        self.agent = agent
        self.model = model
    }

    /// The UTC day of `time`, `YYYY-MM-DD`.
    public var day: String { String(time.rfc3339.prefix(10)) }
}

/// How usage totals are grouped.
public enum UsageGroup: String, CaseIterable, Sendable {
    case user, agent, model, day

    /// The analytics table's column (a fixed name, never caller text).
    public var column: String {
        switch self {
        case .user: return "user_id"
        case .agent: return "agent"
        case .model: return "model"
        case .day: return "day"
        }
    }
}

/// Totals of one group.
public struct UsageRow: Sendable, Hashable {
    public let key: String
    public var totals: [UsageMeasure: Double]
    public init(key: String, totals: [UsageMeasure: Double]) {
        self.key = key
        self.totals = totals
    }
}

/// Where usage analytics are kept: the same database as the ledger, other tables.
public protocol AnalyticsStore: Sendable {
    /// Records usage points in one transaction. A cumulative point adds its increase over the
    /// series' previous point; the first point of a series (or of a restarted one: a new start time,
    /// or a smaller value) adds its whole value. Points that add nothing are not stored.
    func recordUsage(tenant: String, points: [UsagePoint]) async throws
    /// Totals per group over `[from, to)`, ordered by key.
    func usage(tenant: String, from: Timestamp?, to: Timestamp?, groupBy: UsageGroup) async throws -> [UsageRow]
}

/// What a cumulative point adds, given the series' previous start and value, and the series'
/// state afterwards. A new start time is a restart: the point's whole value counts. With the same
/// start, a smaller value is a late or repeated export (counters do not go down without a restart):
/// it adds nothing and the state keeps the larger value.
public enum UsageCounter {
    public static func increase(previous: (start: UInt64, value: Double)?, point: UsagePoint) -> Double {
        next(previous: previous, point: point).add
    }

    public static func next(previous: (start: UInt64, value: Double)?, point: UsagePoint) -> (add: Double, state: (start: UInt64, value: Double)) {
        guard point.cumulative else { return (point.value, previous ?? (point.startNanos, 0)) }
        guard let previous, previous.start == point.startNanos else { return (point.value, (point.startNanos, point.value)) }
        if point.value < previous.value { return (0, previous) }
        return (point.value - previous.value, (point.startNanos, point.value))
    }
}
