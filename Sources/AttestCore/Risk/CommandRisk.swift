import Foundation

/// One rule of the command risk table: a regular expression over a shell command (or a tool's
/// arguments as text), the risk level it implies, and the reason recorded in `risk.reasons`.
public struct CommandRiskRule: Sendable, Hashable {
    public let id: String
    public let level: String
    public let pattern: String
    public let reason: String
    /// Lower-case substrings of which every match contains at least one: a rule whose hints are all
    /// absent is skipped without running the expression (a speed-up only; empty = always run).
    public let hints: [String]

    public init(id: String, level: String, pattern: String, reason: String, hints: [String] = []) {
        self.id = id
        self.level = level
        self.pattern = pattern
        self.reason = reason
        self.hints = hints.map { $0.lowercased() }
    }
}

/// Classifies shell and tool commands by a rule table (docs/OTLP.md, "Risk rules"). The level is
/// the highest of the matching rules; the reasons are `id: reason` of each match, in table order.
/// Patterns are case-insensitive regular expressions (ICU syntax, as NSRegularExpression takes).
public struct CommandRiskClassifier: Sendable {
    public let rules: [CommandRiskRule]
    private let compiled: [NSRegularExpression]
    /// Every distinct non-empty hint of the table, as bytes.
    private let hints: [[UInt8]]
    /// Per rule, the indexes in ``hints`` of its hints (empty: the rule always runs).
    private let ruleHints: [[Int]]
    /// Per first byte, the indexes in ``hints`` of the hints that begin with it.
    private let hintsByFirstByte: [[Int]]

    /// Builds the classifier; every rule with a bad level or pattern is named in the error.
    public init(rules: [CommandRiskRule]) throws(CommandRiskError) {
        var problems: [String] = []
        var compiled: [NSRegularExpression] = []
        var seen: Set<String> = []
        for (i, rule) in rules.enumerated() {
            let name = "risk rule \(i) (\(rule.id.isEmpty ? "no id" : rule.id))"
            if rule.id.isEmpty { problems.append("\(name): id must not be empty") }
            if !seen.insert(rule.id).inserted { problems.append("\(name): id is used twice") }
            if !EventSchema.riskLevels.contains(rule.level) || rule.level == "none" {
                problems.append("\(name): level must be one of low, medium, high, critical, not \"\(rule.level)\"")
            }
            if rule.reason.isEmpty { problems.append("\(name): reason must not be empty") }
            do {
                compiled.append(try NSRegularExpression(pattern: rule.pattern, options: [.caseInsensitive]))
            } catch {
                problems.append("\(name): pattern is not a valid regular expression: \(rule.pattern)")
            }
        }
        guard problems.isEmpty else { throw CommandRiskError(problems: problems) }
        self.rules = rules
        self.compiled = compiled
        var hints: [[UInt8]] = []
        var index: [[UInt8]: Int] = [:]
        self.ruleHints = rules.map { rule in
            // An empty hint occurs in every command: such a rule always runs, as one without hints.
            if rule.hints.contains(where: \.isEmpty) { return [] }
            return rule.hints.map { Array($0.utf8) }.map { bytes in
                if let k = index[bytes] { return k }
                index[bytes] = hints.count
                hints.append(bytes)
                return hints.count - 1
            }
        }
        var byFirst = [[Int]](repeating: [], count: 256)
        for (k, h) in hints.enumerated() { byFirst[Int(h[0])].append(k) }
        self.hints = hints
        self.hintsByFirstByte = byFirst
    }

    /// Which of ``hints`` occur in `lower`, found in one pass over it (a scan of the command per
    /// hint had cost about 2% of the server's CPU on OTLP tool results, 35 hints for each command).
    private func hintsPresent(_ lower: [UInt8]) -> [Bool] {
        var present = [Bool](repeating: false, count: hints.count)
        lower.withUnsafeBufferPointer { h in
            for i in h.indices {
                for k in hintsByFirstByte[Int(h[i])] where !present[k] {
                    let hint = hints[k]
                    guard i + hint.count <= h.count else { continue }
                    var j = 1
                    while j < hint.count && h[i + j] == hint[j] { j += 1 }
                    if j == hint.count { present[k] = true }
                }
            }
        }
        return present
    }

    /// The level and reasons for `command`, or nil when no rule matches.
    public func classify(_ command: String) -> (level: String, reasons: [String])? {
        // Byte search (Foundation's String.contains goes through NSString and costs more than the
        // expressions it is meant to skip). An ASCII command is folded to lower case byte by byte;
        // any other goes through Unicode lowercasing (which maps some non-ASCII letters, such as
        // the Kelvin sign, to ASCII ones the case-insensitive expressions also match).
        var lower = Array(command.utf8)
        if lower.allSatisfy({ $0 < 0x80 }) {
            for k in lower.indices where lower[k] >= 65 && lower[k] <= 90 { lower[k] |= 0x20 }
        } else {
            lower = Array(command.lowercased().utf8)
        }
        var range: NSRange?  // only for commands that reach an expression
        var best = 0
        var reasons: [String] = []
        let present = hintsPresent(lower)
        for (i, (rule, regex)) in zip(rules, compiled).enumerated() {
            if !ruleHints[i].isEmpty && !ruleHints[i].contains(where: { present[$0] }) { continue }
            if range == nil { range = NSRange(command.startIndex..<command.endIndex, in: command) }
            guard regex.firstMatch(in: command, options: [], range: range!) != nil else { continue }
            best = max(best, EventSchema.riskLevels.firstIndex(of: rule.level) ?? 0)
            reasons.append("\(rule.id): \(rule.reason)")
        }
        return reasons.isEmpty ? nil : (EventSchema.riskLevels[best], reasons)
    }

    /// The built-in table. Deliberately about shapes of commands that should make a reviewer look,
    /// not a sandbox: an attacker can always spell a command another way.
    public static let defaultRules: [CommandRiskRule] = [
        CommandRiskRule(
            id: "delete-root-or-home",
            level: "critical",
            pattern: #"\brm\s+(-[a-z]*\s+)*-[a-z]*(r[a-z]*f|f[a-z]*r)[a-z]*\s+(-[a-z-]+\s+)*(/|/\*|~/?|\$home/?|\*|\.\.?/?)(\s|$|;|&|\|)"#,
            reason: "recursive forced delete of the root, home, parent or working directory",
            hints: ["rm"]
        ),
        CommandRiskRule(
            id: "recursive-delete",
            level: "high",
            pattern: #"\brm\s+(-[a-z]*\s+)*(-[a-z]*r|--recursive)|\bfind\b.*\s-delete\b|\bshred\b"#,
            reason: "recursive or irreversible delete",
            hints: ["rm", "find", "shred"]
        ),
        CommandRiskRule(
            id: "disk-overwrite",
            level: "critical",
            pattern: #"\bmkfs(\.\w+)?\b|\bdd\b[^|;&]*\bof=/dev/|>\s*/dev/(sd|nvme|hd|disk)"#,
            reason: "formats or overwrites a disk device",
            hints: ["mkfs", "dd", "/dev/"]
        ),
        CommandRiskRule(
            id: "remote-script-to-shell",
            level: "high",
            pattern:
                #"\b(curl|wget|fetch)\b[^|;]*\|\s*(sudo\s+)?(ba|z|da|k|fi)?sh\b|\b(ba|z)?sh\s+<\(\s*(curl|wget)\b|\b(python3?|perl|ruby|node)\s+<\(\s*(curl|wget)\b"#,
            reason: "downloads a script and runs it without review",
            hints: ["curl", "wget", "fetch"]
        ),
        CommandRiskRule(
            id: "force-push",
            level: "high",
            pattern: #"\bgit\s+push\b[^;&|]*(\s--force(-with-lease)?\b|\s-[a-z]*f\b|\s\+\S+)"#,
            reason: "force push rewrites shared history",
            hints: ["push"]
        ),
        CommandRiskRule(
            id: "history-rewrite",
            level: "medium",
            pattern: #"\bgit\s+(reset\s+--hard|clean\s+-[a-z]*f[a-z]*|filter-branch|filter-repo)\b|\bgit\s+branch\s+(?-i:-D)\b"#,
            reason: "discards commits or uncommitted work",
            hints: ["git"]
        ),
        CommandRiskRule(
            id: "credential-read",
            level: "high",
            pattern:
                #"(\.aws/credentials|\.ssh/id_|\.netrc|\.npmrc|\.pypirc|\.docker/config\.json|\.kube/config|\.git-credentials|/etc/shadow|\.gnupg/|\bid_rsa\b|\bid_ed25519\b|(^|[\s/])\.env(\.\w+)?(\s|$))"#,
            reason: "reads a credential or secrets file",
            hints: [
                ".aws/credentials", ".ssh/id_", ".netrc", ".npmrc", ".pypirc", ".docker/config.json", ".kube/config", ".git-credentials",
                "/etc/shadow", ".gnupg/", "id_rsa", "id_ed25519", ".env",
            ]
        ),
        CommandRiskRule(
            id: "env-dump",
            level: "high",
            pattern:
                #"(^|[;&|]\s*)(printenv|env|set|export\s+-p|declare\s+-x)\s*($|[;&|>])|/proc/\S*/environ|\bsecurity\s+find-(generic|internet)-password\b|\bgh\s+auth\s+token\b|\baws\s+configure\s+(get|export-credentials)\b"#,
            reason: "dumps environment variables or stored credentials",
            hints: ["env", "set", "export", "declare", "security", "auth", "aws"]
        ),
        CommandRiskRule(
            id: "privilege-escalation",
            level: "high",
            pattern:
                #"(^|[;&|(]\s*|\s)(sudo|doas|pkexec)\s|(^|[;&|]\s*)su(\s+-|\s+root|\s*$)|\bchmod\s+(-[a-z]+\s+)*([ugoa]*\+s|[0-7]?[4-7][0-7]{3})\b|\bsetcap\b|\bchown\s+(-[a-z]+\s+)*root\b|/etc/sudoers"#,
            reason: "gains or grants elevated privileges",
            hints: ["su", "doas", "pkexec", "chmod", "setcap", "chown"]
        ),
        CommandRiskRule(
            id: "world-writable",
            level: "medium",
            pattern: #"\bchmod\s+(-[a-z]+\s+)*(0?777|a\+w|o\+w)\b"#,
            reason: "makes files writable by everyone",
            hints: ["chmod"]
        ),
        CommandRiskRule(
            id: "sandbox-disabled",
            level: "high",
            pattern:
                #"--dangerously-skip-permissions|--dangerously-bypass-approvals-and-sandbox|--no-sandbox|\bbypassPermissions\b|danger-full-access|\bsetenforce\s+0\b|\baa-teardown\b|\bsystemctl\s+(stop|disable)\s+(apparmor|auditd|firewalld|ufw)\b|\bufw\s+disable\b|\biptables\s+-F\b"#,
            reason: "disables a sandbox, permission prompts or a security control",
            hints: [
                "--dangerously", "--no-sandbox", "bypasspermissions", "danger-full-access", "setenforce", "aa-teardown", "systemctl", "ufw",
                "iptables",
            ]
        ),
        CommandRiskRule(
            id: "destructive-data",
            level: "high",
            pattern:
                #"\b(drop\s+(table|database|schema)|truncate\s+table)\b|\bterraform\s+destroy\b|\bkubectl\s+delete\b|\bhelm\s+(uninstall|delete)\b|\baws\s+s3\s+(rm|rb)\b.*--recursive|\bgsutil\s+(-m\s+)?rm\s+-r"#,
            reason: "destroys data or infrastructure",
            hints: ["drop", "truncate", "terraform", "kubectl", "helm", "aws", "gsutil"]
        ),
        CommandRiskRule(
            id: "exfiltration",
            level: "medium",
            pattern:
                #"\b(curl|wget)\b[^;|]*(\s(-d|--data(-binary|-raw|-urlencode)?)\s*@|\s(-F|--form)\s*\S*=@|\s(-T|--upload-file)\s+\S|\s--post-file[=\s])|\bnc\b[^;|]*\s\d+\s*<|\bscp\b[^;|]*\s\S+@\S+:"#,
            reason: "sends local files to another host",
            hints: ["curl", "wget", "nc", "scp"]
        ),
    ]

    /// The classifier with the built-in table (which compiles: a test checks it).
    public static let `default`: CommandRiskClassifier = {
        do { return try CommandRiskClassifier(rules: defaultRules) } catch { fatalError("built-in risk rules: \(error)") }
    }()
}

/// Risk rules that cannot be used, each problem named.
public struct CommandRiskError: Error, Sendable {
    public let problems: [String]
}
