import AttestCore
import AttestStore
import Foundation
import PostgresNIO

// Usage analytics (AnalyticsStore): the usage tables of migration 3, under row-level security.
extension PostgresLedgerStore: AnalyticsStore {
    public func recordUsage(tenant: String, points: [UsagePoint]) async throws {
        guard !points.isEmpty else { return }
        try await transaction(tenant: tenant) { conn in
            // One writer per tenant across nodes, so two nodes seeing a new cumulative series at
            // the same moment cannot both count its whole value.
            let lockKey = Int32(truncatingIfNeeded: Self.stableHash(tenant))
            try await conn.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.usageLockClass), \(lockKey))", logger: self.logger)
            var last: [String: (start: UInt64, value: Double)] = [:]
            let cumulativeSeries = Array(Set(points.filter(\.cumulative).map(\.series)))
            if !cumulativeSeries.isEmpty {
                for try await (series, start, value) in try await conn.query(
                    "SELECT series, start_nanos, last_value FROM attest.usage_series WHERE tenant = \(tenant) AND series = ANY(\(cumulativeSeries)::text[])",
                    logger: self.logger
                ).decode((String, Int64, Double).self) {
                    last[series] = (UInt64(bitPattern: start), value)
                }
            }
            var times: [Int64] = []
            var days: [String] = []
            var users: [String] = []
            var agents: [String] = []
            var models: [String] = []
            var measures: [String] = []
            var values: [Double] = []
            for p in points {
                var add = p.value
                if p.cumulative {
                    let (increase, state) = UsageCounter.next(previous: last[p.series], point: p)
                    add = increase
                    last[p.series] = state
                }
                guard add != 0, add.isFinite else { continue }
                times.append(p.time.microseconds)
                days.append(p.day)
                users.append(p.user)
                agents.append(p.agent)
                models.append(p.model)
                measures.append(p.measure.rawValue)
                values.append(add)
            }
            for (series, state) in last where cumulativeSeries.contains(series) {
                let start = Int64(bitPattern: state.start)
                try await conn.query(
                    """
                    INSERT INTO attest.usage_series (tenant, series, start_nanos, last_value) VALUES (\(tenant), \(series), \(start), \(state.value))
                    ON CONFLICT (tenant, series) DO UPDATE SET start_nanos = excluded.start_nanos, last_value = excluded.last_value
                    """,
                    logger: self.logger
                )
            }
            if !values.isEmpty {
                try await conn.query(
                    """
                    INSERT INTO attest.usage (tenant, time, day, user_id, agent, model, measure, value)
                    SELECT \(tenant), t, d, u, a, m, me, v
                    FROM unnest(\(times)::bigint[], \(days)::text[], \(users)::text[], \(agents)::text[], \(models)::text[],
                        \(measures)::text[], \(values)::float8[]) AS x(t, d, u, a, m, me, v)
                    """,
                    logger: self.logger
                )
            }
        }
    }

    public func usage(tenant: String, from: Timestamp?, to: Timestamp?, groupBy: UsageGroup) async throws -> [UsageRow] {
        let lower = from?.microseconds ?? Int64.min
        let upper = to?.microseconds ?? Int64.max
        // The column is a fixed name chosen by the enum; the values are bound.
        let column = groupBy.column
        var binds = PostgresBindings()
        binds.append(tenant, context: .default)
        binds.append(lower, context: .default)
        binds.append(upper, context: .default)
        let query = PostgresQuery(
            unsafeSQL: """
                SELECT \(column), measure, SUM(value) FROM attest.usage
                WHERE tenant = $1 AND time >= $2 AND time < $3 GROUP BY \(column), measure
                """,
            binds: binds
        )
        return try await transaction(tenant: tenant) { conn in
            var rows: [String: UsageRow] = [:]
            for try await (key, measureName, total) in try await conn.query(query, logger: self.logger).decode((String, String, Double).self) {
                guard let measure = UsageMeasure(rawValue: measureName) else { continue }
                rows[key, default: UsageRow(key: key, totals: [:])].totals[measure] = total
            }
            return rows.values.sorted { $0.key < $1.key }
        }
    }

    /// FNV-1a of the tenant name: a lock key that is the same on every node.
    static func stableHash(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return h
    }
}
