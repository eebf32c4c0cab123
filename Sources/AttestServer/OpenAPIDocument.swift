/// The OpenAPI 3.1 description of the HTTP API, served at `/openapi.yaml`. A test checks that it
/// names exactly the router's routes, and `scripts/test` fuzzes the running server from it with
/// schemathesis.
enum OpenAPIDocument {
    static let yaml = #"""
        openapi: 3.1.0
        info:
          title: Attest
          version: 0.1.0
          description: |
            A tamper-evident audit trail for AI agents. Every route under /v1 needs
            `Authorization: Bearer <token>`. Errors are RFC 9457 problem documents that list every
            problem by JSON pointer. Hashes are lower-case hex.
        servers:
          - url: http://127.0.0.1:8080
        security:
          - bearer: []
        components:
          securitySchemes:
            bearer:
              type: http
              scheme: bearer
          parameters:
            tenant:
              name: tenant
              in: query
              required: false
              description: Act on this tenant (super_admin only; others use their token's tenant).
              schema: {type: string, pattern: '^[a-z0-9][a-z0-9_-]{0,62}$'}
          responses:
            Problem:
              description: A problem (RFC 9457).
              content:
                application/problem+json:
                  schema: {$ref: '#/components/schemas/Problem'}
            Unauthorized:
              description: No valid bearer token.
              headers:
                WWW-Authenticate: {schema: {type: string}}
              content:
                application/problem+json:
                  schema: {$ref: '#/components/schemas/Problem'}
            Unavailable:
              description: Overloaded or shutting down; retry after the given seconds.
              headers:
                Retry-After: {schema: {type: string}}
              content:
                application/problem+json:
                  schema: {$ref: '#/components/schemas/Problem'}
            OTLPStatus:
              description: A google.rpc.Status (code, message) in the request's encoding, as OTLP/HTTP requires for every error.
              headers:
                Retry-After: {schema: {type: string}}
              content:
                application/json: {schema: {type: object, properties: {code: {type: integer}, message: {type: string}}}}
                application/x-protobuf: {schema: {type: string, format: binary}}
          schemas:
            Problem:
              type: object
              required: [type, title, status]
              properties:
                type: {type: string}
                title: {type: string}
                status: {type: integer}
                detail: {type: string}
                problems:
                  type: array
                  items:
                    type: object
                    required: [pointer, message]
                    properties:
                      pointer: {type: string}
                      message: {type: string}
            Hash: {type: string, pattern: '^[0-9a-f]{64}$'}
            Event:
              type: object
              description: An audit event (docs/EVENTS.md). `action` and `actor.id` are required.
              required: [action, actor]
              properties:
                id: {type: string, minLength: 1, maxLength: 256}
                time: {type: string, format: date-time}
                category:
                  type: string
                  enum: [agent_action, tool_call, model_call, system_call, policy_decision, approval, session,
                         authentication, authorization, configuration, data_access, data_change, admin, telemetry]
                action: {type: string, pattern: '^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$', maxLength: 256}
                outcome:
                  type: object
                  additionalProperties: false
                  properties:
                    status: {type: string, enum: [success, failure, denied, error, unknown]}
                    reason: {type: string}
                actor:
                  type: object
                  additionalProperties: false
                  required: [id]
                  properties:
                    type: {type: string, enum: [human, agent, service, system]}
                    id: {type: string, minLength: 1, maxLength: 256}
                    name: {type: string}
                    roles: {type: array, items: {type: string}}
                    ip: {type: string}
                    user_agent: {type: string}
                    device: {type: string}
                on_behalf_of:
                  type: object
                  additionalProperties: false
                  required: [id]
                  properties:
                    id: {type: string, minLength: 1, maxLength: 256}
                    name: {type: string}
                agent:
                  type: object
                  additionalProperties: false
                  properties: {id: {type: string}, name: {type: string}, version: {type: string}, model: {type: string}, provider: {type: string}}
                session:
                  type: object
                  additionalProperties: false
                  properties: {id: {type: string}, conversation_id: {type: string}, trace_id: {type: string}, span_id: {type: string}}
                resource:
                  type: object
                  additionalProperties: false
                  properties:
                    type: {type: string}
                    id: {type: string}
                    name: {type: string}
                    sensitivity: {type: string, enum: [public, internal, confidential, personal, financial, secret]}
                    owner: {type: string}
                channel: {type: string, enum: [ui, api, cli, ide, chat, ci, workflow, scheduler]}
                changes: {type: object, additionalProperties: false, properties: {before: {}, after: {}}}
                request: {type: object, additionalProperties: false, properties: {args: {}, result: {}}}
                system_call:
                  type: object
                  additionalProperties: false
                  properties:
                    protocol: {type: string, enum: [http, rfc, sql, grpc, other]}
                    target: {type: string}
                    method: {type: string}
                    status: {type: [string, integer]}
                    latency_ms: {type: number, minimum: 0}
                    request_digest: {type: string}
                policy:
                  type: object
                  additionalProperties: false
                  properties:
                    decision: {type: string, enum: [allow, deny]}
                    reason: {type: string}
                    policy_id: {type: string}
                    policy_version: {type: [string, integer]}
                approval:
                  type: object
                  additionalProperties: false
                  properties:
                    approver:
                      type: object
                      additionalProperties: false
                      required: [id]
                      properties: {id: {type: string, minLength: 1}, name: {type: string}}
                    decision: {type: string, enum: [approved, rejected]}
                    justification: {type: string}
                    device: {type: string}
                    for_event: {type: string, minLength: 1}
                risk:
                  type: object
                  additionalProperties: false
                  properties:
                    level: {type: string, enum: [none, low, medium, high, critical]}
                    reasons: {type: array, items: {type: string}}
                usage:
                  type: object
                  additionalProperties: false
                  properties:
                    input_tokens: {type: integer, minimum: 0}
                    output_tokens: {type: integer, minimum: 0}
                    cost_micros: {type: integer, minimum: 0}
                source:
                  type: object
                  additionalProperties: false
                  properties:
                    system: {type: string}
                    ingest: {type: string, enum: [rest, otlp, sdk, cli]}
                    version: {type: string}
                attributes: {type: object}
              additionalProperties: false
            Receipts:
              type: object
              required: [receipts, checkpoint]
              properties:
                receipts:
                  type: array
                  items:
                    type: object
                    required: [id, seq, hash]
                    properties:
                      id: {type: string}
                      seq: {type: integer, minimum: 0}
                      hash: {$ref: '#/components/schemas/Hash'}
                checkpoint:
                  type: object
                  required: [size, root]
                  properties:
                    size: {type: integer, minimum: 0}
                    root: {$ref: '#/components/schemas/Hash'}
            Item:
              type: object
              required: [seq, hash, received_at, event]
              properties:
                seq: {type: integer, minimum: 0}
                hash: {$ref: '#/components/schemas/Hash'}
                received_at: {type: string, format: date-time}
                event: {type: object}
            Token:
              type: object
              required: [name, role, tenant, created_at]
              properties:
                name: {type: string}
                role: {type: string, enum: [super_admin, compliance_officer, auditor, standard_user, ingest]}
                tenant: {type: string}
                subject: {type: string}
                created_at: {type: string, format: date-time}
                token: {type: string, description: Only in the reply to POST /v1/tokens. Shown once.}
        paths:
          /healthz:
            get:
              summary: Liveness.
              security: []
              responses:
                '200':
                  description: Alive.
                  content:
                    application/json:
                      schema: {type: object, required: [status], properties: {status: {type: string}}}
          /readyz:
            get:
              summary: Readiness (the ledger database answers) and the state of continuous verification.
              security: []
              responses:
                '200':
                  description: Ready.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [status]
                        properties:
                          status: {type: string}
                          queued_events: {type: integer}
                          verification:
                            type: object
                            properties:
                              status: {type: string, enum: [ok, failed]}
                              logs:
                                type: object
                                additionalProperties:
                                  type: object
                                  properties:
                                    verified_entries: {type: integer}
                                    last_pass: {type: string}
                                    failure:
                                      type: object
                                      properties:
                                        code: {type: string}
                                        seq: {type: [integer, 'null']}
                                        reason: {type: string}
                '503': {$ref: '#/components/responses/Unavailable'}
          /metrics:
            get:
              summary: Prometheus metrics (text exposition format).
              security: []
              responses:
                '200':
                  description: Metrics.
                  content:
                    text/plain: {schema: {type: string}}
          /openapi.yaml:
            get:
              summary: This document.
              security: []
              responses:
                '200':
                  description: The OpenAPI document.
                  content:
                    application/yaml: {schema: {type: string}}
          /v1/logs:
            post:
              summary: OTLP/HTTP logs (ExportLogsServiceRequest, binary protobuf or OTLP/JSON; gzip allowed). Each record becomes an audit event (docs/OTLP.md).
              parameters: [{$ref: '#/components/parameters/tenant'}]
              requestBody:
                required: true
                content:
                  application/x-protobuf: {schema: {type: string, format: binary}}
                  application/json: {schema: {type: object}}
              responses:
                '200':
                  description: ExportLogsServiceResponse in the request's encoding, with partial_success when some were not used.
                  content:
                    application/json: {schema: {type: object}}
                    application/x-protobuf: {schema: {type: string, format: binary}}
                '400': {$ref: '#/components/responses/OTLPStatus'}
                '401': {$ref: '#/components/responses/OTLPStatus'}
                '403': {$ref: '#/components/responses/OTLPStatus'}
                '404': {$ref: '#/components/responses/OTLPStatus'}
                '413': {$ref: '#/components/responses/OTLPStatus'}
                '415': {$ref: '#/components/responses/OTLPStatus'}
                '429': {$ref: '#/components/responses/OTLPStatus'}
                '503': {$ref: '#/components/responses/OTLPStatus'}
          /v1/traces:
            post:
              summary: OTLP/HTTP traces (ExportTraceServiceRequest, binary protobuf or OTLP/JSON; gzip allowed). Each span becomes an audit event (docs/OTLP.md).
              parameters: [{$ref: '#/components/parameters/tenant'}]
              requestBody:
                required: true
                content:
                  application/x-protobuf: {schema: {type: string, format: binary}}
                  application/json: {schema: {type: object}}
              responses:
                '200':
                  description: ExportTraceServiceResponse in the request's encoding, with partial_success when some were not used.
                  content:
                    application/json: {schema: {type: object}}
                    application/x-protobuf: {schema: {type: string, format: binary}}
                '400': {$ref: '#/components/responses/OTLPStatus'}
                '401': {$ref: '#/components/responses/OTLPStatus'}
                '403': {$ref: '#/components/responses/OTLPStatus'}
                '404': {$ref: '#/components/responses/OTLPStatus'}
                '413': {$ref: '#/components/responses/OTLPStatus'}
                '415': {$ref: '#/components/responses/OTLPStatus'}
                '429': {$ref: '#/components/responses/OTLPStatus'}
                '503': {$ref: '#/components/responses/OTLPStatus'}
          /v1/metrics:
            post:
              summary: OTLP/HTTP metrics (ExportMetricsServiceRequest, binary protobuf or OTLP/JSON; gzip allowed). Known metrics feed usage analytics, not the ledger.
              parameters: [{$ref: '#/components/parameters/tenant'}]
              requestBody:
                required: true
                content:
                  application/x-protobuf: {schema: {type: string, format: binary}}
                  application/json: {schema: {type: object}}
              responses:
                '200':
                  description: ExportMetricsServiceResponse in the request's encoding, with partial_success when some were not used.
                  content:
                    application/json: {schema: {type: object}}
                    application/x-protobuf: {schema: {type: string, format: binary}}
                '400': {$ref: '#/components/responses/OTLPStatus'}
                '401': {$ref: '#/components/responses/OTLPStatus'}
                '403': {$ref: '#/components/responses/OTLPStatus'}
                '404': {$ref: '#/components/responses/OTLPStatus'}
                '413': {$ref: '#/components/responses/OTLPStatus'}
                '415': {$ref: '#/components/responses/OTLPStatus'}
                '429': {$ref: '#/components/responses/OTLPStatus'}
                '503': {$ref: '#/components/responses/OTLPStatus'}
          /v1/analytics/usage:
            get:
              summary: Usage totals from OTLP metrics and tool calls (not ledger data), grouped by user, agent, model or day.
              parameters:
                - {$ref: '#/components/parameters/tenant'}
                - {name: from, in: query, schema: {type: string, format: date-time}}
                - {name: to, in: query, schema: {type: string, format: date-time}}
                - {name: group_by, in: query, schema: {type: string, enum: [user, agent, model, day], default: user}}
              responses:
                '200':
                  description: One item per group, with every usage figure.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [group_by, items]
                        properties:
                          group_by: {type: string}
                          from: {type: string}
                          to: {type: string}
                          items:
                            type: array
                            items:
                              type: object
                              required: [key, tokens, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, cost_usd, tool_calls, sessions, lines_added, lines_removed, lines_modified, lines_changed, commits, pull_requests]
                              properties:
                                key: {type: string}
                                tokens: {type: integer}
                                input_tokens: {type: integer}
                                output_tokens: {type: integer}
                                cache_read_tokens: {type: integer}
                                cache_creation_tokens: {type: integer}
                                cost_usd: {type: number}
                                tool_calls: {type: integer}
                                sessions: {type: integer}
                                lines_added: {type: integer}
                                lines_removed: {type: integer}
                                lines_modified: {type: integer}
                                lines_changed: {type: integer}
                                commits: {type: integer}
                                pull_requests: {type: integer}
                '400': {$ref: '#/components/responses/Problem'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Problem'}
                '404': {$ref: '#/components/responses/Problem'}
                '503': {$ref: '#/components/responses/Unavailable'}
          /v1/events:
            post:
              summary: Append events (one object, an array, or NDJSON); all or nothing.
              description: |
                Answers only after the batch is durable and covered by a signed checkpoint. A repeated
                `id` returns its first receipt (200 when every event was a repeat). `Content-Encoding: gzip`
                is accepted; the body limit applies after decompression.
              parameters: [{$ref: '#/components/parameters/tenant'}]
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      oneOf:
                        - {$ref: '#/components/schemas/Event'}
                        - {type: array, minItems: 1, maxItems: 10000, items: {$ref: '#/components/schemas/Event'}}
                  application/x-ndjson:
                    schema: {type: string}
              responses:
                '201':
                  description: Appended.
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/Receipts'}
                '200':
                  description: Every event was already in the log; their first receipts.
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/Receipts'}
                '400': {$ref: '#/components/responses/Problem'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Problem'}
                '404': {$ref: '#/components/responses/Problem'}
                '413': {$ref: '#/components/responses/Problem'}
                '415': {$ref: '#/components/responses/Problem'}
                '503': {$ref: '#/components/responses/Unavailable'}
            get:
              summary: Query events, newest first by default, with a keyset cursor.
              parameters:
                - {$ref: '#/components/parameters/tenant'}
                - {name: from, in: query, schema: {type: string, format: date-time}}
                - {name: to, in: query, schema: {type: string, format: date-time}}
                - {name: actor, in: query, schema: {type: string}}
                - {name: on_behalf_of, in: query, schema: {type: string}}
                - {name: agent, in: query, schema: {type: string}}
                - {name: action, in: query, description: 'Exact, or a prefix ending in * (tool.*).', schema: {type: string}}
                - name: category
                  in: query
                  schema:
                    type: string
                    enum: [agent_action, tool_call, model_call, system_call, policy_decision, approval, session,
                           authentication, authorization, configuration, data_access, data_change, admin, telemetry]
                - {name: resource_type, in: query, schema: {type: string}}
                - {name: resource_id, in: query, schema: {type: string}}
                - {name: outcome, in: query, schema: {type: string, enum: [success, failure, denied, error, unknown]}}
                - {name: session, in: query, schema: {type: string}}
                - {name: min_risk, in: query, schema: {type: string, enum: [none, low, medium, high, critical]}}
                - {name: order, in: query, schema: {type: string, enum: [asc, desc]}}
                - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 1000}}
                - {name: cursor, in: query, description: next_cursor of the previous page, with the same filters., schema: {type: string}}
              responses:
                '200':
                  description: A page of events. With `Accept application/x-ndjson`, one item per line and the cursor in `Attest-Next-Cursor`.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [items, next_cursor]
                        properties:
                          items: {type: array, items: {$ref: '#/components/schemas/Item'}}
                          next_cursor: {type: [string, 'null']}
                    application/x-ndjson:
                      schema: {type: string}
                '400': {$ref: '#/components/responses/Problem'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Problem'}
                '404': {$ref: '#/components/responses/Problem'}
          /v1/events/{id}:
            get:
              summary: One event with its inclusion proof against the latest checkpoint.
              parameters:
                - {$ref: '#/components/parameters/tenant'}
                - {name: id, in: path, required: true, schema: {type: string}}
              responses:
                '200':
                  description: The event.
                  content:
                    application/json:
                      schema:
                        allOf:
                          - {$ref: '#/components/schemas/Item'}
                          - type: object
                            required: [proof]
                            properties:
                              proof:
                                type: object
                                required: [tree_size, root, checkpoint, inclusion]
                                properties:
                                  tree_size: {type: integer}
                                  root: {$ref: '#/components/schemas/Hash'}
                                  checkpoint: {type: string}
                                  inclusion: {type: array, items: {$ref: '#/components/schemas/Hash'}}
                '400': {$ref: '#/components/responses/Problem'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Problem'}
                '404': {$ref: '#/components/responses/Problem'}
          /v1/checkpoint:
            get:
              summary: The latest signed checkpoint (C2SP signed note), with any witness cosignature lines (C2SP tlog-cosignature).
              parameters:
                - {$ref: '#/components/parameters/tenant'}
                - name: witnessed
                  in: query
                  description: The newest checkpoint cosigned by at least this many witnesses instead (404 if none yet).
                  schema: {type: integer, minimum: 0}
              responses:
                '200':
                  description: The note.
                  content:
                    text/plain: {schema: {type: string}}
                '400': {$ref: '#/components/responses/Problem'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Problem'}
                '404': {$ref: '#/components/responses/Problem'}
          /v1/pubkey:
            get:
              summary: The log's verifier key in effect (name+hex8+base64).
              parameters: [{$ref: '#/components/parameters/tenant'}]
              responses:
                '200':
                  description: The key.
                  content:
                    text/plain: {schema: {type: string}}
                '400': {$ref: '#/components/responses/Problem'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Problem'}
                '404': {$ref: '#/components/responses/Problem'}
          /v1/keys:
            get:
              summary: The log's key history, oldest first (FORMAT §8); one key when it was never rotated.
              parameters: [{$ref: '#/components/parameters/tenant'}]
              responses:
                '200':
                  description: The key history.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [origin, keys]
                        properties:
                          origin: {type: string}
                          keys:
                            type: array
                            items:
                              type: object
                              required: [from_size, verifier_key]
                              properties:
                                from_size: {type: integer, minimum: 0}
                                verifier_key: {type: string}
                                rotation_seq: {type: integer, minimum: 0}
                '400': {$ref: '#/components/responses/Problem'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Problem'}
                '404': {$ref: '#/components/responses/Problem'}
          /v1/proofs/inclusion:
            get:
              summary: RFC 9162 inclusion proof of entry `seq` in the tree of size `size` (default the latest).
              parameters:
                - {$ref: '#/components/parameters/tenant'}
                - {name: seq, in: query, required: true, schema: {type: integer, minimum: 0}}
                - {name: size, in: query, schema: {type: integer, minimum: 1}}
              responses:
                '200':
                  description: The proof.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [seq, tree_size, leaf_hash, root, checkpoint, inclusion]
                        properties:
                          seq: {type: integer}
                          tree_size: {type: integer}
                          leaf_hash: {$ref: '#/components/schemas/Hash'}
                          root: {$ref: '#/components/schemas/Hash'}
                          checkpoint: {type: string}
                          inclusion: {type: array, items: {$ref: '#/components/schemas/Hash'}}
                '400': {$ref: '#/components/responses/Problem'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Problem'}
                '404': {$ref: '#/components/responses/Problem'}
          /v1/proofs/consistency:
            get:
              summary: RFC 9162 consistency proof between tree sizes `from` and `to` (default the latest).
              parameters:
                - {$ref: '#/components/parameters/tenant'}
                - {name: from, in: query, required: true, schema: {type: integer, minimum: 0}}
                - {name: to, in: query, schema: {type: integer, minimum: 0}}
              responses:
                '200':
                  description: The proof.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [from, to, from_root, to_root, checkpoint, consistency]
                        properties:
                          from: {type: integer}
                          to: {type: integer}
                          from_root: {$ref: '#/components/schemas/Hash'}
                          to_root: {$ref: '#/components/schemas/Hash'}
                          checkpoint: {type: string}
                          consistency: {type: array, items: {$ref: '#/components/schemas/Hash'}}
                '400': {$ref: '#/components/responses/Problem'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Problem'}
                '404': {$ref: '#/components/responses/Problem'}
          /v1/export:
            get:
              summary: An export bundle (docs/FORMAT.md §6) of entries [start, end), streamed.
              parameters:
                - {$ref: '#/components/parameters/tenant'}
                - {name: start, in: query, schema: {type: integer, minimum: 0}}
                - {name: end, in: query, schema: {type: integer, minimum: 0}}
              responses:
                '200':
                  description: The bundle.
                  content:
                    application/x-ndjson: {schema: {type: string}}
                '400': {$ref: '#/components/responses/Problem'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Problem'}
                '404': {$ref: '#/components/responses/Problem'}
          /v1/hash:
            post:
              summary: The tenant's HMAC of a known value, to compare with a stored {"hmac"} value.
              parameters: [{$ref: '#/components/parameters/tenant'}]
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {type: object, required: [value], additionalProperties: false, properties: {value: {}}}
              responses:
                '200':
                  description: The HMAC.
                  content:
                    application/json:
                      schema: {type: object, required: [hmac], properties: {hmac: {type: string, pattern: '^hmac-sha256:[0-9a-f]{64}$'}}}
                '400': {$ref: '#/components/responses/Problem'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Problem'}
                '404': {$ref: '#/components/responses/Problem'}
                '413': {$ref: '#/components/responses/Problem'}
          /v1/tenants:
            post:
              summary: Create a tenant (super_admin).
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [id]
                      additionalProperties: false
                      properties: {id: {type: string, pattern: '^[a-z0-9][a-z0-9_-]{0,62}$'}}
              responses:
                '201':
                  description: Created.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [id, origin, verifier_key]
                        properties: {id: {type: string}, origin: {type: string}, verifier_key: {type: string}}
                '400': {$ref: '#/components/responses/Problem'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Problem'}
                '409': {$ref: '#/components/responses/Problem'}
                '413': {$ref: '#/components/responses/Problem'}
            get:
              summary: List tenants (super_admin).
              responses:
                '200':
                  description: Tenants.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [tenants]
                        properties:
                          tenants:
                            type: array
                            items: {type: object, required: [id, origin], properties: {id: {type: string}, origin: {type: string}}}
                '400': {$ref: '#/components/responses/Problem'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Problem'}
          /v1/tokens:
            post:
              summary: Create a token; the secret is in the reply only.
              parameters: [{$ref: '#/components/parameters/tenant'}]
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [name, role]
                      additionalProperties: false
                      properties:
                        name: {type: string, pattern: '^[A-Za-z0-9._-]{1,64}$'}
                        role: {type: string, enum: [super_admin, compliance_officer, auditor, standard_user, ingest]}
                        subject: {type: string, minLength: 1, maxLength: 256}
                        tenant: {type: string}
              responses:
                '201':
                  description: Created.
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/Token'}
                '400': {$ref: '#/components/responses/Problem'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Problem'}
                '404': {$ref: '#/components/responses/Problem'}
                '409': {$ref: '#/components/responses/Problem'}
                '413': {$ref: '#/components/responses/Problem'}
            get:
              summary: List the tenant's tokens (never their secrets).
              parameters: [{$ref: '#/components/parameters/tenant'}]
              responses:
                '200':
                  description: Tokens.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [tokens]
                        properties: {tokens: {type: array, items: {$ref: '#/components/schemas/Token'}}}
                '400': {$ref: '#/components/responses/Problem'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Problem'}
                '404': {$ref: '#/components/responses/Problem'}
          /v1/tokens/{name}:
            get:
              summary: One token.
              parameters:
                - {$ref: '#/components/parameters/tenant'}
                - {name: name, in: path, required: true, schema: {type: string}}
              responses:
                '200':
                  description: The token.
                  content:
                    application/json:
                      schema: {$ref: '#/components/schemas/Token'}
                '400': {$ref: '#/components/responses/Problem'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Problem'}
                '404': {$ref: '#/components/responses/Problem'}
            delete:
              summary: Revoke a token.
              parameters:
                - {$ref: '#/components/parameters/tenant'}
                - {name: name, in: path, required: true, schema: {type: string}}
              responses:
                '204': {description: Revoked.}
                '400': {$ref: '#/components/responses/Problem'}
                '401': {$ref: '#/components/responses/Unauthorized'}
                '403': {$ref: '#/components/responses/Problem'}
                '404': {$ref: '#/components/responses/Problem'}
        """#
}
