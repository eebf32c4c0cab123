import AttestCore
import GRDB

extension SQLiteLedgerStore: AnalyticsStore {
    public func recordUsage(tenant: String, points: [UsagePoint]) async throws {
        guard !points.isEmpty else { return }
        try await write { db in
            for p in points {
                var add = p.value
                if p.cumulative {
                    let row = try Row.fetchOne(
                        db.cachedStatement(sql: "SELECT start_nanos, last_value FROM usage_series WHERE tenant = ? AND series = ?"),
                        arguments: [tenant, p.series]
                    )
                    let previous = row.map { (start: UInt64(bitPattern: $0[0] as Int64), value: $0[1] as Double) }
                    let (increase, state) = UsageCounter.next(previous: previous, point: p)
                    add = increase
                    try db.cachedStatement(
                        sql: """
                            INSERT INTO usage_series (tenant, series, start_nanos, last_value) VALUES (?, ?, ?, ?)
                            ON CONFLICT (tenant, series) DO UPDATE SET start_nanos = excluded.start_nanos, last_value = excluded.last_value
                            """
                    ).execute(arguments: [tenant, p.series, Int64(bitPattern: state.start), state.value])
                }
                guard add != 0, add.isFinite else { continue }
                // Cached: an OTLP batch of 100 log records writes 100 rows.
                try db.cachedStatement(
                    sql: "INSERT INTO usage (tenant, time, day, user_id, agent, model, measure, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                ).execute(arguments: [tenant, p.time.microseconds, p.day, p.user, p.agent, p.model, p.measure.rawValue, add])
            }
        }
    }

    public func usage(tenant: String, from: Timestamp?, to: Timestamp?, groupBy: UsageGroup) async throws -> [UsageRow] {
        let lower = from?.microseconds ?? Int64.min
        let upper = to?.microseconds ?? Int64.max
        let column = groupBy.column
        return try await read { db in
            var rows: [String: UsageRow] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT \(column), measure, SUM(value) FROM usage
                    WHERE tenant = ? AND time >= ? AND time < ? GROUP BY \(column), measure
                    """,
                arguments: [tenant, lower, upper]
            ) {
                let key: String = row[0]
                guard let measure = UsageMeasure(rawValue: row[1]) else { continue }
                rows[key, default: UsageRow(key: key, totals: [:])].totals[measure] = row[2]
            }
            return rows.values.sorted { $0.key < $1.key }
        }
    }
}
