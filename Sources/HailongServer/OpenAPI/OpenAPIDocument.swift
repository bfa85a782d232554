/// The HTTP API as published at `GET /openapi.yaml` (OpenAPI 3.1), compiled into the binary:
/// a server installed as `/usr/bin/hailong-server` reads nothing from its build folder.
/// Edit it here; `SurfaceTests` checks that it lists exactly the routes the server has.
enum OpenAPIDocument {
    static let yaml = #"""
openapi: 3.1.0
info:
  title: Hailong central server
  version: 0.1.0
  description: |
    Citizen-satisfaction ratings from counter boards (DESIGN §6–§8). JSON is camelCase.
    Errors answer `{"error": CODE, "message": TEXT}` with a 4xx status; a missing or wrong
    bearer token is 401, a valid token without the right role or unit scope is 403.
    Any route that needs the database answers 503 `{"error": "unavailable", …}` with
    `Retry-After: 30` when the database has not answered within 15 s (down or restarting).
    Tokens: `hla_…` account API tokens (from POST /v1/login), `hlb_…` board tokens (from enrollment).
servers:
  - url: http://localhost:8730
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
  schemas:
    Error:
      type: object
      required: [error, message]
      properties:
        error: {type: string}
        message: {type: string}
    WireEvent:
      type: object
      required: [seq, kind, at]
      properties:
        seq: {type: integer, minimum: 1, description: gap-free sequence number per board}
        kind: {type: string, enum: [rating, suppressed, session, clerkSignin, clerkSignout, fault]}
        at: {type: string, format: date-time, description: wall time, RFC 3339 UTC}
        level: {type: integer}
        binding: {type: string, enum: [dossier, clerk, counter]}
        dossier: {type: string, maxLength: 64, description: absent in privacy mode (uplink.detail aggregates)}
        clerk: {type: string, maxLength: 100}
        outcome: {type: string, enum: [rated, unrated]}
        reason: {type: string, enum: [spam, ambiguous, expired, superseded, closed, stuck, released]}
        monotonicNs: {type: integer}
        bootId: {type: string, maxLength: 64}
        clockSynced: {type: boolean, description: false = the board cannot vouch for `at`; the server files the event by arrival time}
    DailyCount:
      type: object
      required: [day, level, count]
      description: The board's cumulative count of rating events (any binding) with seq ≤ toSeq, for one UTC day, clerk and level.
      properties:
        day: {type: string, format: date, description: UTC calendar day of the event's `at`}
        clerk: {type: string, description: absent for ratings bound to the counter only}
        level: {type: integer}
        count: {type: integer}
    BoardStatus:
      type: object
      required: [version, backlog, faults, clockSynced, uptimeS]
      properties:
        version: {type: string}
        backlog: {type: integer}
        faults: {type: array, items: {type: string}}
        clockSynced: {type: boolean}
        uptimeS: {type: integer}
    IngestBatch:
      type: object
      required: [boardId, fromSeq, toSeq, events, aggregates, status]
      properties:
        boardId: {type: string, description: must be the board the bearer token belongs to (else 403)}
        fromSeq: {type: integer, minimum: 1}
        toSeq: {type: integer, description: "toSeq - fromSeq + 1 == len(events); fromSeq > toSeq with no events is a heartbeat"}
        events: {type: array, maxItems: 500, items: {$ref: '#/components/schemas/WireEvent'}}
        aggregates: {type: array, items: {$ref: '#/components/schemas/DailyCount'}}
        status: {$ref: '#/components/schemas/BoardStatus'}
    IngestReply:
      type: object
      required: [acknowledgedSeq]
      properties:
        acknowledgedSeq: {type: integer, description: every event with seq ≤ this is durably stored}
        expectedSeq: {type: integer, description: on 409 gap, the seq to resend from}
        error: {type: string}
        message: {type: string}
    ReportRow:
      type: object
      required: [key, label, levels, total, satisfied, insufficient]
      properties:
        key: {type: string}
        label: {type: string}
        levels: {type: object, additionalProperties: {type: integer}}
        total: {type: integer}
        satisfied: {type: integer}
        rate: {type: number}
        wilsonLow: {type: number}
        wilsonHigh: {type: number}
        responseRate: {type: number, description: rated / (rated + unrated) sessions}
        insufficient: {type: boolean, description: total < reports.min_n; shown, never ranked}
security:
  - bearer: []
paths:
  /healthz:
    get:
      security: []
      responses:
        '200': {description: '{"status": "ok"}'}
        '503': {description: 'the database did not answer within 3 s: {"status": "unavailable", "error": "unavailable", "message": …}'}
  /metrics:
    get:
      security: []
      responses: {'200': {description: Prometheus text exposition}}
  /openapi.yaml:
    get:
      security: []
      responses: {'200': {description: this document}}
  /v1/login:
    post:
      security: []
      summary: Exchange username and password for an API token (hla_…)
      requestBody: {content: {application/json: {schema: {type: object, required: [username, password], properties: {username: {type: string}, password: {type: string}}}}}}
      responses: {'201': {description: '{"token", "username", "role", "unit"}'}, '401': {description: wrong credentials}}
  /v1/me:
    get:
      responses: {'200': {description: the account of the token}}
  /v1/accounts:
    post:
      summary: Create an account (admin)
      requestBody: {content: {application/json: {schema: {type: object, required: [username, password, role], properties: {username: {type: string}, password: {type: string}, role: {type: string, enum: [admin, manager, technician]}, unit: {type: string}}}}}}
      responses: {'201': {description: the account}, '403': {description: not an admin}}
  /v1/units:
    get:
      parameters: [{name: unit, in: query, schema: {type: string}}]
      responses: {'200': {description: '{"units": [{id, code, name, parent, timeZone}]} (a manager sees their subtree)'}}
    post:
      summary: Create a unit (admin); timeZone defaults to Asia/Ho_Chi_Minh
      responses: {'201': {description: the unit}, '409': {description: exists}, '422': {description: invalid}}
  /v1/counters:
    get:
      parameters: [{name: unit, in: query, schema: {type: string}}]
      responses: {'200': {description: '{"counters": [{id, unit, name}]}'}}
    post:
      summary: Create a counter {unit, name} (admin)
      responses: {'201': {description: the counter}}
  /v1/clerks:
    get:
      parameters: [{name: unit, in: query, schema: {type: string}}]
      responses: {'200': {description: '{"clerks": [{code, name, unit}]}'}}
    post:
      summary: Add or update a clerk {code, name, unit} (admin, manager in scope)
      responses: {'201': {description: the clerk}}
  /v1/clerks/import:
    post:
      summary: Import clerks from CSV (header code,name,unit); all rows or none
      parameters: [{name: unit, in: query, schema: {type: string}, description: unit for rows without a unit column}]
      requestBody: {content: {text/csv: {schema: {type: string}}}}
      responses: {'200': {description: '{"imported": N}'}, '422': {description: '{"error": "invalidRows", "problems": [{"line", "message"}]}'}}
  /v1/boards:
    get:
      parameters: [{name: unit, in: query, schema: {type: string}}]
      responses: {'200': {description: '{"boards": [...]} with health: lastSeenAt, backlog, faults, clockSynced, version'}}
    post:
      summary: Create a board {unit, counterId, scale} (admin, technician); answers a one-time enrollment code valid 24 h
      responses: {'201': {description: '{"board", "enrollmentCode", "expiresAt"}'}}
  /v1/boards/{id}/revoke:
    post:
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {'200': {description: the revoked board}}
  /v1/boards/{id}/events:
    get:
      summary: A board's stored events in seq order (raw export; admin, technician); filedByArrival marks events whose clock the board could not vouch for
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
        - {name: after, in: query, schema: {type: integer, minimum: 0}}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 10000}}
      responses: {'200': {description: '{"events": [{board, unit, counter, event, filedByArrival, filedAt}]}'}}
  /v1/boards/enroll:
    post:
      security: []
      summary: Exchange a one-time code for the board id and its secret token (hlb_…)
      requestBody: {content: {application/json: {schema: {type: object, required: [code], properties: {code: {type: string}}}}}}
      responses: {'200': {description: '{"boardId", "token", "unit", "counter", "scale", "timeZone"}'}, '401': {description: unknown, used or expired code}}
  /v1/ingest:
    post:
      summary: A board's batch of consecutive events (board token)
      description: |
        Idempotent: a replayed or overlapping batch changes nothing and is answered with the
        same acknowledgedSeq. Events, rollups and the status snapshot are stored in one
        transaction. Aggregates that disagree with the server's counts raise a countMismatch
        alert (GET /v1/alerts); the batch is still stored.
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/IngestBatch'}}}}
      responses:
        '200': {description: stored, content: {application/json: {schema: {$ref: '#/components/schemas/IngestReply'}}}}
        '401': {description: missing, unknown or revoked board token}
        '403': {description: boardId is another board}
        '409': {description: gap; resend from expectedSeq, content: {application/json: {schema: {$ref: '#/components/schemas/IngestReply'}}}}
        '422': {description: invalid batch (names the event seq)}
        '503': {description: 'the database did not answer within 15 s; send the batch again after Retry-After (a resent batch changes nothing)'}
  /v1/reports/satisfaction:
    get:
      summary: Satisfaction rates from rollups (admin, manager in scope)
      parameters:
        - {name: unit, in: query, schema: {type: string}, description: the unit; its whole subtree is included}
        - {name: from, in: query, schema: {type: string, format: date}, description: first local day (default to - 29)}
        - {name: to, in: query, schema: {type: string, format: date}, description: last local day, inclusive (default today)}
        - {name: period, in: query, schema: {type: string, enum: [today, 7d, 30d, month, quarter, year]}, description: 'a period ending today, as the dashboard''s picker (from/to win when given)'}
        - {name: by, in: query, schema: {type: string, enum: [unit, counter, clerk, hour, day, week, month]}}
        - {name: format, in: query, schema: {type: string, enum: [json, csv]}, description: csv is UTF-8 with BOM, CRLF}
      responses:
        '200': {description: '{"rows": [ReportRow]}', content: {application/json: {schema: {type: object, properties: {rows: {type: array, items: {$ref: '#/components/schemas/ReportRow'}}}}}}}
        '403': {description: unit outside the manager's subtree}
  /v1/dossiers/{code}:
    get:
      parameters: [{name: code, in: path, required: true, schema: {type: string}}]
      responses: {'200': {description: '{"dossier", "outcome", "level", "ratedAt", "clerk", "unit", "counter", "events"}'}, '404': {description: unknown (or outside scope)}}
  /v1/alerts:
    get:
      parameters: [{name: unit, in: query, schema: {type: string}}]
      responses: {'200': {description: '{"alerts": [{id, kind, board, unit, message, at, acknowledgedBy, acknowledgedAt, comment}]}'}}
"""#
}
