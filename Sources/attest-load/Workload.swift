import AttestWorkload
import Foundation

/// Query filters that match the events `EventFactory` sends; each request takes the next value.
enum QueryFactory {
    static let filters = ["newest", "actor", "on_behalf_of", "session", "action_prefix", "resource", "time_range"]

    static func query(filter: String, request: Int, limit: Int) -> String? {
        let q: String
        switch filter {
        case "newest": q = ""
        case "actor": q = "actor=agent-\(request % 200)&"
        case "on_behalf_of": q = "on_behalf_of=user-\(request % 1000)%40example.com&"
        case "session": q = "session=sess-\(request % 5000)&"
        case "action_prefix": q = "action=\(["command", "file", "tool", "data"][request % 4]).%2A&"
        case "resource": q = "resource_type=repo&resource_id=repo-\(request % 300)&"
        case "time_range": q = "from=2020-01-01T00%3A00%3A00Z&to=2100-01-01T00%3A00%3A00Z&"
        default: return nil
        }
        return "/v1/events?\(q)limit=\(limit)"
    }
}
