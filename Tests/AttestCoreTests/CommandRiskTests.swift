import AttestCore
import AttestTesting
import Foundation
import Testing

@Suite("Command risk: the byte prefilter never changes a classification")
struct CommandRiskTests {
    /// The classification without any prefilter: every rule's expression over the whole command.
    func reference(_ c: CommandRiskClassifier, _ command: String) -> [String] {
        let range = NSRange(command.startIndex..<command.endIndex, in: command)
        return c.rules.compactMap { rule in
            let regex = try! NSRegularExpression(pattern: rule.pattern, options: [.caseInsensitive])
            return regex.firstMatch(in: command, options: [], range: range) == nil ? nil : "\(rule.id): \(rule.reason)"
        }
    }

    @Test("known commands get their level")
    func known() throws {
        let c = try CommandRiskClassifier(rules: CommandRiskClassifier.defaultRules)
        #expect(c.classify("rm -rf /")?.level == "critical")
        #expect(c.classify("RM -RF ~/")?.level == "critical")
        #expect(c.classify("git push --force origin main")?.level != nil)
        #expect(c.classify("ls -la src") == nil)
        #expect(c.classify("") == nil)
    }

    @Test("random commands of rule fragments, in mixed case and with non-ASCII letters, classify as the expressions alone do")
    func differential() throws {
        let c = try CommandRiskClassifier(rules: CommandRiskClassifier.defaultRules)
        let fragments = [
            "rm", "RM", "Rm", "-rf", "-Rf", "-fr", "/", "~/", "*", "..", "find", ".", "-delete", "shred", "dd", "if=/dev/zero", "of=/dev/sda",
            "mkfs.ext4", "curl", "WGET", "https://x.example/i.sh", "|", "sh", "bash", "git", "push", "--force", "-f", "rebase", "reset", "--hard",
            "cat", "~/.ssh/id_rsa", ".aws/credentials", "env", "printenv", "export", "sudo", "su", "chmod", "777", "-R", "setcap", "drop", "table",
            "TRUNCATE", "terraform", "destroy", "kubectl", "delete", "nc", "scp", "\u{212A}", "İ", "é", "ß", ";", "&&", "  ", "\t", "x", "echo",
        ]
        var rng = Fixtures.Rng(seed: 42)
        var matched = 0
        for _ in 0..<3_000 {
            let n = Int(rng.next() % 8) + 1
            var parts: [String] = []
            for _ in 0..<n { parts.append(fragments[Int(rng.next() % UInt64(fragments.count))]) }
            let command = parts.joined(separator: rng.next() % 5 == 0 ? "" : " ")
            let expected = reference(c, command)
            #expect((c.classify(command)?.reasons ?? []) == expected, "\(command)")
            if !expected.isEmpty { matched += 1 }
        }
        #expect(matched > 300, "the fragments should make many commands match some rule (\(matched))")
    }
}
