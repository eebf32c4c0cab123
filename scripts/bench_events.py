"""Prints N realistic audit events as NDJSON (300-1500 bytes each, varied and nested)."""
import json
import random
import sys

n = int(sys.argv[1])
rng = random.Random(7)
actions = ["tool.execute", "command.execute", "file.write", "file.read", "role.grant", "data.export", "policy.update"]
categories = ["tool_call", "system_call", "data_change", "data_access", "admin", "policy_decision", "model_call"]
words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu".split()
out = sys.stdout
for i in range(n):
    e = {
        "id": f"bench-{i}",
        "action": rng.choice(actions),
        "category": rng.choice(categories),
        "actor": {"type": "agent", "id": f"agent-{rng.randrange(200)}", "name": "Claude Code"},
        "on_behalf_of": {"id": f"user-{rng.randrange(1000)}@example.com"},
        "agent": {"id": "claude-code", "version": "2.1.0", "model": "claude-opus-4", "provider": "anthropic"},
        "session": {"id": f"sess-{rng.randrange(5000)}"},
        "resource": {"type": "repo", "id": f"repo-{rng.randrange(300)}", "sensitivity": "internal"},
        "outcome": {"status": rng.choice(["success", "success", "success", "failure", "denied"])},
        "request": {"args": {"command": " ".join(rng.choice(words) for _ in range(rng.randrange(3, 40)))}},
        "attributes": {"duration_ms": rng.random() * 1000, "tokens": rng.randrange(100000), "tags": rng.sample(words, 4)},
    }
    out.write(json.dumps(e, separators=(",", ":")))
    out.write("\n")
