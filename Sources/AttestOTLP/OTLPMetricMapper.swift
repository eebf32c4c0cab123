import AttestCore
import AttestOTLPProto
import AttestStore
import Foundation

public typealias OTLPMetricsRequest = Opentelemetry_Proto_Collector_Metrics_V1_ExportMetricsServiceRequest
public typealias OTLPMetricsResponse = Opentelemetry_Proto_Collector_Metrics_V1_ExportMetricsServiceResponse

/// Which OTLP metrics feed usage analytics, and how (docs/OTLP.md, "Usage analytics").
public struct OTLPMetricRule: Sendable {
    public let metric: String
    /// The measure, or nil when `byAttribute` picks it from a data point attribute.
    public let measure: UsageMeasure?
    /// The attribute whose value picks the measure (`type` = `input` → input tokens).
    public let byAttribute: (key: String, values: [String: UsageMeasure])?

    public init(_ metric: String, _ measure: UsageMeasure) {
        self.metric = metric
        self.measure = measure
        self.byAttribute = nil
    }

    public init(_ metric: String, by key: String, _ values: [String: UsageMeasure]) {
        self.metric = metric
        self.measure = nil
        self.byAttribute = (key, values)
    }
}

public enum OTLPMetricRules {
    public static let rules: [OTLPMetricRule] = [
        OTLPMetricRule(
            "claude_code.token.usage",
            by: "type",
            ["input": .inputTokens, "output": .outputTokens, "cacheRead": .cacheReadTokens, "cacheCreation": .cacheCreationTokens]
        ),
        OTLPMetricRule("claude_code.cost.usage", .costUSD),
        OTLPMetricRule("claude_code.lines_of_code.count", by: "type", ["added": .linesAdded, "removed": .linesRemoved]),
        OTLPMetricRule("claude_code.commit.count", .commits),
        OTLPMetricRule("claude_code.pull_request.count", .pullRequests),
        OTLPMetricRule("claude_code.session.count", .sessions),
        OTLPMetricRule("droid.git.commits", .commits),
        OTLPMetricRule("droid.git.pull_requests", .pullRequests),
        OTLPMetricRule("droid.code.lines_modified", .linesModified),
        OTLPMetricRule("droid.tool.invocations", .toolCalls),
        OTLPMetricRule(
            "gen_ai.client.token.usage",
            by: "gen_ai.token.type",
            ["input": .inputTokens, "output": .outputTokens, "prompt": .inputTokens, "completion": .outputTokens]
        ),
    ]

    static let byName: [String: OTLPMetricRule] = Dictionary(uniqueKeysWithValues: rules.map { ($0.metric, $0) })

    /// The metrics table of docs/OTLP.md.
    public static func markdown() -> String {
        var out = "| metric | usage figure |\n|---|---|\n"
        for r in rules {
            if let m = r.measure {
                out += "| `\(r.metric)` | \(m.rawValue) |\n"
            } else if let by = r.byAttribute {
                let values = by.values.sorted { $0.key < $1.key }.map { "`\(by.key)`=\($0.key) → \($0.value.rawValue)" }
                out += "| `\(r.metric)` | \(values.joined(separator: "<br>")) |\n"
            }
        }
        return out
    }
}

/// OTLP metrics as usage analytics points. Sums (delta or cumulative, monotonic or not) and
/// histograms (their `sum`) of the metrics in ``OTLPMetricRules`` are used; gauges, summaries,
/// exponential histograms and other metrics are accepted and not kept.
public enum OTLPMetricMapper {
    public struct Result: Sendable {
        public var points: [UsagePoint] = []
        /// Data points of known metrics that could not be used (no value, unknown temporality, unknown attribute value).
        public var rejected = 0
        public var rejectedReasons: [String] = []
        /// Data points of metrics Attest does not keep.
        public var ignored = 0
    }

    public static func map(_ request: OTLPMetricsRequest) -> Result {
        var result = Result()
        for (ri, rm) in request.resourceMetrics.enumerated() {
            let resource = OTLPLogMapper.attributes(rm.resource.attributes)
            for (si, sm) in rm.scopeMetrics.enumerated() {
                for (mi, metric) in sm.metrics.enumerated() {
                    let pointer = "/resourceMetrics/\(ri)/scopeMetrics/\(si)/metrics/\(mi)"
                    guard let rule = OTLPMetricRules.byName[metric.name] else {
                        result.ignored += count(metric)
                        continue
                    }
                    switch metric.data {
                    case .sum(let sum):
                        for (di, p) in sum.dataPoints.enumerated() {
                            let value: Double?
                            switch p.value {
                            case .asDouble(let d): value = d
                            case .asInt(let i): value = Double(i)
                            case nil: value = nil
                            }
                            add(
                                &result,
                                rule: rule,
                                pointer: "\(pointer)/sum/dataPoints/\(di)",
                                temporality: sum.aggregationTemporality,
                                value: value,
                                attributes: p.attributes,
                                start: p.startTimeUnixNano,
                                time: p.timeUnixNano,
                                resource: resource,
                                metric: metric.name
                            )
                        }
                    case .histogram(let h):
                        for (di, p) in h.dataPoints.enumerated() {
                            add(
                                &result,
                                rule: rule,
                                pointer: "\(pointer)/histogram/dataPoints/\(di)",
                                temporality: h.aggregationTemporality,
                                value: p.hasSum ? p.sum : nil,
                                attributes: p.attributes,
                                start: p.startTimeUnixNano,
                                time: p.timeUnixNano,
                                resource: resource,
                                metric: metric.name
                            )
                        }
                    default:
                        result.ignored += count(metric)
                    }
                }
            }
        }
        return result
    }

    static func count(_ m: Opentelemetry_Proto_Metrics_V1_Metric) -> Int {
        switch m.data {
        case .sum(let s): return s.dataPoints.count
        case .gauge(let g): return g.dataPoints.count
        case .histogram(let h): return h.dataPoints.count
        case .exponentialHistogram(let h): return h.dataPoints.count
        case .summary(let s): return s.dataPoints.count
        case nil: return 0
        }
    }

    static func add(
        _ result: inout Result,
        rule: OTLPMetricRule,
        pointer: String,
        temporality: Opentelemetry_Proto_Metrics_V1_AggregationTemporality,
        value: Double?,
        attributes kvs: [Opentelemetry_Proto_Common_V1_KeyValue],
        start: UInt64,
        time: UInt64,
        resource: [String: JSONValue],
        metric: String
    ) {
        func reject(_ why: String) {
            result.rejected += 1
            result.rejectedReasons.append("\(pointer): \(why)")
        }
        guard let value, value.isFinite else { return reject("no finite value") }
        let cumulative: Bool
        switch temporality {
        case .delta: cumulative = false
        case .cumulative: cumulative = true
        default: return reject("aggregation temporality is unspecified")
        }
        let attrs = OTLPLogMapper.attributes(kvs)
        func lookup(_ keys: [String]) -> String {
            for k in keys {
                if let v = attrs[k] ?? resource[k], let s = OTLPEventBuilder.text(v), !s.isEmpty { return s }
            }
            return ""
        }
        let measure: UsageMeasure
        if let m = rule.measure {
            measure = m
        } else if let by = rule.byAttribute {
            let v = lookup([by.key])
            guard let m = by.values[v] else { return reject("\(by.key) \"\(v)\" is not one of \(by.values.keys.sorted().joined(separator: ", "))") }
            measure = m
        } else {
            return reject("no measure")
        }
        // The series: metric, data point attributes and resource, canonical and hashed.
        let identity: JSONValue = .object(["m": .string(metric), "a": .object(attrs), "r": .object(resource)])
        let series = Hash256.sha256(identity.canonicalBytes).hex
        let nanos = time != 0 ? time : start
        result.points.append(
            UsagePoint(
                series: series,
                measure: measure,
                time: nanos != 0 ? Timestamp(microseconds: Int64(clamping: nanos / 1000)) : .now(),
                startNanos: start,
                value: value,
                cumulative: cumulative,
                user: lookup(OTLPMappingRules.userKeys),
                agent: lookup(["service.name"]),
                model: lookup(OTLPMappingRules.modelKeys)
            )
        )
    }
}
