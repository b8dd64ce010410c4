/**
 * The store's ports: one interface per concern, so the gateway, monitor, shield and dashboard
 * depend on what they use and every adapter (SQLite, PostgreSQL) passes one conformance suite.
 *
 * Conventions shared by every port:
 * - Times are ISO-8601 UTC strings (`2026-11-26T10:00:00.000Z`), ids are opaque strings.
 * - Anything a user typed (prompts, responses, excerpts, webhook payloads) is stored SEALED:
 *   `Sealed` is the envelope ciphertext from `crypto/envelope.ts`. Stores never see plaintext.
 * - Every list is paged by an opaque cursor, newest first unless said otherwise.
 * - Methods are async even on SQLite, so callers are written once for both backends.
 */
import type { Action, Direction, Finding } from '../core/types.js'
import type { RunMetric } from '../monitor/types.js'

/** Envelope ciphertext as produced by `Envelope.seal` (self-describing, base64url text). */
export type Sealed = string

export const ROLES = ['admin', 'analyst', 'app'] as const
/** `admin`: everything in its tenant; `analyst`: read alerts, audit and metrics; `app`: guard and proxy only. */
export type Role = (typeof ROLES)[number]

export interface Page<T> {
  items: T[]
  /** Pass back as `cursor` for the next page; absent on the last page. */
  nextCursor?: string
}

// ---------------------------------------------------------------- API keys

export interface ApiKeyRecord {
  /** Public part of the key (`rk_<id>_<secret>`): safe to log and show. */
  id: string
  tenant: string
  role: Role
  name: string
  /** scrypt hash of the secret part, in `scrypt$N$r$p$salt$hash` form. */
  secretHash: string
  createdAt: string
  revokedAt: string | null
  lastUsedAt: string | null
  /** Requests per minute for this key; null = the gateway's default. */
  rateLimitPerMinute: number | null
  /** Requests per UTC day for this key; null = no quota. */
  dailyQuota: number | null
}

export interface KeyStore {
  insertKey(record: ApiKeyRecord): Promise<void>
  getKey(id: string): Promise<ApiKeyRecord | undefined>
  /** All keys of a tenant, or of every tenant when `tenant` is undefined (local CLI only); newest first. */
  listKeys(tenant?: string): Promise<ApiKeyRecord[]>
  /** Sets `revokedAt`; returns false when the key does not exist or was already revoked. */
  revokeKey(id: string, at: string): Promise<boolean>
  /** Sets `lastUsedAt` unless it is already later (touches may land out of order). */
  touchKey(id: string, at: string): Promise<void>
  countActiveKeys(role?: Role): Promise<number>
}

// ---------------------------------------------------------------- alerts

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const
export type Severity = (typeof SEVERITIES)[number]

export interface AlertRecord {
  id: string
  createdAt: string
  tenant: string
  keyId: string | null
  /** The request that raised it (also in the gateway's logs and the `x-request-id` header). */
  requestId: string
  direction: Direction
  /** The strongest action among the findings: `flag`, `redact` or `block`. */
  decision: Action
  severity: Severity
  /** Scanner ids that produced findings (for filtering). */
  scanners: string[]
  /** Findings as the engine returned them (types, spans, scores; never the matched secret). */
  findings: Finding[]
  /** A short excerpt of the text around the findings, with PII/secrets redacted, sealed. */
  excerpt: Sealed
  /** Where the alert came from: `guard`, `proxy`, `shield`, `monitor`… */
  source: string
  acknowledgedAt: string | null
  acknowledgedBy: string | null
}

export interface AlertFilter {
  tenant: string
  /** Inclusive lower bound on `createdAt`. */
  since?: string
  /** Exclusive upper bound on `createdAt`. */
  until?: string
  /** Alerts whose `scanners` include this id. */
  scanner?: string
  severity?: Severity
  decision?: Action
  acknowledged?: boolean
  /** 1..1000. */
  limit: number
  cursor?: string
}

export interface AlertStore {
  insertAlert(alert: AlertRecord): Promise<void>
  getAlert(tenant: string, id: string): Promise<AlertRecord | undefined>
  listAlerts(filter: AlertFilter): Promise<Page<AlertRecord>>
  /** Returns the updated alert, or undefined when no such alert exists in this tenant. Idempotent. */
  acknowledgeAlert(tenant: string, id: string, by: string, at: string): Promise<AlertRecord | undefined>
}

// ---------------------------------------------------------------- policies

export interface PolicyVersionRecord {
  tenant: string
  /** 1, 2, 3… per tenant; a version never changes once written. */
  version: number
  /** The policy document as submitted (YAML or JSON text). */
  source: string
  /** sha256 of `source`, hex. */
  sha256: string
  createdAt: string
  createdBy: string
  description: string
}

export interface PolicyStore {
  /** Stores the next version for the tenant and returns it (version assigned atomically). */
  createPolicyVersion(input: Omit<PolicyVersionRecord, 'version'>): Promise<PolicyVersionRecord>
  getPolicyVersion(tenant: string, version: number): Promise<PolicyVersionRecord | undefined>
  /** Highest version first. */
  listPolicyVersions(tenant: string): Promise<PolicyVersionRecord[]>
  /** Marks a version active for the tenant; returns false when the version does not exist. */
  activatePolicyVersion(tenant: string, version: number, by: string, at: string): Promise<boolean>
  /** The active version, or undefined when the tenant uses the gateway's default policy. */
  getActivePolicyVersion(tenant: string): Promise<PolicyVersionRecord | undefined>
  /** Marks a version to run in shadow for the tenant (scanned beside the active one, never enforced); false when the version does not exist. */
  setShadowPolicyVersion(tenant: string, version: number, by: string, at: string): Promise<boolean>
  /** Stops the tenant's shadow version; false when it had none. */
  clearShadowPolicyVersion(tenant: string): Promise<boolean>
  /** The tenant's shadow version, or undefined. */
  getShadowPolicyVersion(tenant: string): Promise<PolicyVersionRecord | undefined>
}

// ---------------------------------------------------------------- audit log

export interface AuditInput {
  at: string
  /** Who: a key id, `cli`, or `system`. */
  actor: string
  tenant: string | null
  /** What: `key.create`, `key.revoke`, `policy.create`, `policy.activate`, `alert.create`, `alert.ack`, `master.rotate`… */
  action: string
  /** The object acted on (key id, policy version, alert id). */
  target: string | null
  detail: Record<string, unknown>
}

export interface AuditEntry extends AuditInput {
  /** 1, 2, 3… with no gaps. */
  seq: number
  /** Hash of the previous entry (64 zeros for the first). */
  prevHash: string
  /** sha256 over prevHash and the canonical JSON of this entry (see crypto/audit-chain.ts). */
  hash: string
  /** HMAC-SHA256 of `hash` under the audit key, so someone with only database access cannot rebuild the chain. */
  mac: string
}

export interface AuditStore {
  /**
   * Appends an entry: reads the last hash, computes this entry's hash and MAC with `seal`,
   * and writes it, all in one transaction (serialized across replicas).
   */
  appendAudit(input: AuditInput, seal: (seq: number, prevHash: string, input: AuditInput) => { hash: string; mac: string }): Promise<AuditEntry>
  /** Entries in `seq` order from `fromSeq` (inclusive), at most `limit`. */
  readAudit(fromSeq: number, limit: number): Promise<AuditEntry[]>
}

// ---------------------------------------------------------------- data keys (envelope encryption)

export interface DataKeyRecord {
  id: string
  /** The data key wrapped (encrypted) by the key provider's master key. */
  wrapped: string
  /** Key provider id (`local`, `aws-kms`) and the master key (version) that wrapped it. */
  provider: string
  masterKeyId: string
  createdAt: string
  /** Set when a newer data key took over sealing; retired keys still open old ciphertexts. */
  retiredAt: string | null
}

export interface DataKeyStore {
  insertDataKey(record: DataKeyRecord): Promise<void>
  getDataKey(id: string): Promise<DataKeyRecord | undefined>
  /** The newest data key that is not retired. */
  getCurrentDataKey(): Promise<DataKeyRecord | undefined>
  /** Newest first, retired ones included. */
  listDataKeys(): Promise<DataKeyRecord[]>
  /** Replaces `wrapped`/`masterKeyId` of one key (master key rotation); compare-and-swap on the old wrapped value. */
  rewrapDataKey(id: string, expectedWrapped: string, wrapped: string, masterKeyId: string): Promise<boolean>
  /** Keeps the first `retiredAt` when called again; no-op for an unknown id. */
  retireDataKey(id: string, at: string): Promise<void>
}

// ---------------------------------------------------------------- webhook outbox

export interface OutboxMessage {
  id: string
  createdAt: string
  /** Which configured webhook it goes to (its name), and the event type (`alert.created`…). */
  target: string
  event: string
  /** The JSON body, sealed (it holds alert excerpts). */
  payload: Sealed
  /** Delivery attempts started: `claimDue` counts one per claim (so a sender that crashes mid-send is counted too). */
  attempts: number
  nextAttemptAt: string
  deliveredAt: string | null
  lastError: string | null
}

export interface OutboxStore {
  enqueue(message: Omit<OutboxMessage, 'attempts' | 'deliveredAt' | 'lastError'>): Promise<void>
  /**
   * Claims up to `limit` undelivered messages due at `now`, pushing their `nextAttemptAt` to
   * `leaseUntil` so another replica does not send them at the same time (at-least-once).
   */
  claimDue(now: string, leaseUntil: string, limit: number): Promise<OutboxMessage[]>
  /** No-op when already delivered or unknown. */
  markDelivered(id: string, at: string): Promise<void>
  /** Records a failed attempt's error and when to try next (the attempt was counted by `claimDue`); no-op once delivered. */
  markFailed(id: string, error: string, nextAttemptAt: string): Promise<void>
  countPending(): Promise<number>
}

// ---------------------------------------------------------------- monitor: captured inferences and ground truth

/** One sampled inference: what the model was asked and answered, sealed. */
export interface CaptureRecord {
  tenant: string
  /** Unique per tenant: the gateway request id for proxy captures, the caller's id (or a generated one) otherwise. */
  inferenceId: string
  modelId: string
  /** When the inference happened, as reported by the caller (the gateway's clock for proxy captures). */
  at: string
  /** When the gateway stored it. Schedule windows are cut on this time, so a record reported late is never skipped. */
  receivedAt: string
  /** `proxy`, `api` or `library`. */
  source: string
  /** JSON `{ input, output, guard? }`, sealed (aad binds it to tenant and inference id). */
  payload: Sealed
}

/** A ground-truth label that arrived later for an inference (sealed: labels can be as sensitive as inputs). */
export interface GroundTruthRecord {
  tenant: string
  inferenceId: string
  /** JSON of the label, sealed. */
  label: Sealed
  receivedAt: string
}

/** A capture joined with its label, when one arrived. */
export interface LabelledCapture extends CaptureRecord {
  label: Sealed | null
}

export interface CaptureFilter {
  tenant: string
  modelId?: string
  /** Inclusive lower bound on `receivedAt`. */
  receivedSince?: string
  /** Exclusive upper bound on `receivedAt`. */
  receivedUntil?: string
  /** 1..1000. */
  limit: number
  cursor?: string
}

export interface CaptureStore {
  /** Stores a capture; returns false and changes nothing when the tenant already has this inference id (retries are harmless). */
  insertCapture(record: CaptureRecord): Promise<boolean>
  /** `insertCapture` for up to 1,000 records in one transaction; one flag per record (false: the id was taken, or came earlier in the batch). */
  insertCaptures(records: readonly CaptureRecord[]): Promise<boolean[]>
  /**
   * Stores labels; a later label for the same inference replaces the earlier one. Labels may
   * arrive before (or without) their capture. Returns how many of them match a stored capture.
   */
  putGroundTruth(records: readonly GroundTruthRecord[]): Promise<number>
  getCapture(tenant: string, inferenceId: string): Promise<LabelledCapture | undefined>
  /** OLDEST first by (`receivedAt`, `inferenceId`): the order a schedule reads its window in. */
  listCaptures(filter: CaptureFilter): Promise<Page<LabelledCapture>>
  /** Deletes captures and labels received before `before` (retention); returns how many captures went. */
  pruneCaptures(before: string): Promise<number>
}

// ---------------------------------------------------------------- monitor: schedules, runs, metric series

export interface ScheduleRecord {
  id: string
  tenant: string
  name: string
  /** Five-field cron expression, UTC (monitor/schedule-cron.ts). */
  cron: string
  /** Captures of this model are the schedule's data. */
  modelId: string
  /** A baseline folder under the tenant's baselines directory, or null when the baseline is stored. */
  baselineDir: string | null
  /** `{ statistics, constraints }` JSON, sealed; null when `baselineDir` is used. */
  baselineSealed: Sealed | null
  /** Columns for model-quality checks; null = defaults. */
  groundTruthColumn: string | null
  predictionColumn: string | null
  enabled: boolean
  createdAt: string
  createdBy: string
  nextRunAt: string
  /** Start of the next run's window (the end of the last run's window; `createdAt` at first). */
  windowStart: string
  lastRunAt: string | null
  /** Which process holds the schedule (running it) and until when. */
  leaseOwner: string | null
  leaseUntil: string | null
}

/** What a finished run writes back to its schedule. */
export interface ScheduleCompletion {
  windowStart: string
  lastRunAt: string
  nextRunAt: string
}

export const RUN_STATUSES = ['running', 'completed', 'failed', 'no_data'] as const
export type RunStatus = (typeof RUN_STATUSES)[number]

export interface RunRecord {
  id: string
  tenant: string
  scheduleId: string
  startedAt: string
  finishedAt: string | null
  status: RunStatus
  /** Captures received in [windowStart, windowEnd) were checked. */
  windowStart: string
  windowEnd: string
  rows: number
  violationCount: number
  /** `Violation[]` JSON, sealed (descriptions may quote captured values). */
  violations: Sealed | null
  metrics: RunMetric[]
  error: string | null
}

export type RunUpdate = Pick<RunRecord, 'finishedAt' | 'status' | 'rows' | 'violationCount' | 'violations' | 'metrics' | 'error'>

export interface RunFilter {
  tenant: string
  scheduleId?: string
  limit: number
  cursor?: string
}

export interface ScheduleStore {
  createSchedule(record: ScheduleRecord): Promise<void>
  getSchedule(tenant: string, id: string): Promise<ScheduleRecord | undefined>
  /** Newest first; every tenant's when `tenant` is undefined. */
  listSchedules(tenant?: string): Promise<ScheduleRecord[]>
  /** Deletes a schedule with its runs, metric points and alarms; false when it does not exist in this tenant. */
  deleteSchedule(tenant: string, id: string): Promise<boolean>
  /**
   * Leases up to `limit` enabled schedules due at `now` (`nextRunAt <= now`) whose lease is
   * free or expired, to `owner` until `leaseUntil`: one holder at a time across replicas.
   */
  claimDueSchedules(now: string, leaseUntil: string, owner: string, limit: number): Promise<ScheduleRecord[]>
  /** Leases one schedule whatever its next run time (a manual run); undefined when unknown or leased by another owner. */
  claimSchedule(tenant: string, id: string, now: string, leaseUntil: string, owner: string): Promise<ScheduleRecord | undefined>
  /** Extends a lease `owner` still holds; false when it was lost. */
  renewScheduleLease(tenant: string, id: string, owner: string, leaseUntil: string): Promise<boolean>
  /** Ends `owner`'s lease and records the run: next window start, last and next run times. False when the lease was lost. */
  completeScheduleRun(tenant: string, id: string, owner: string, update: ScheduleCompletion): Promise<boolean>
  insertRun(run: RunRecord): Promise<void>
  /** Records the outcome of a run; false when no such run exists in this tenant. */
  finishRun(tenant: string, id: string, update: RunUpdate): Promise<boolean>
  getRun(tenant: string, id: string): Promise<RunRecord | undefined>
  /** Newest first by `startedAt`. */
  listRuns(filter: RunFilter): Promise<Page<RunRecord>>
}

/** One value of a run metric: a point of the series (tenant, schedule, name). */
export interface MetricPoint {
  tenant: string
  scheduleId: string
  runId: string
  name: string
  at: string
  /** Finite. */
  value: number
}

export interface MetricQuery {
  tenant: string
  scheduleId: string
  name: string
  /** Exclusive lower bound on `at`. */
  since: string
  /** Inclusive upper bound on `at`. */
  until: string
}

export interface MetricSeriesStore {
  appendMetrics(points: readonly MetricPoint[]): Promise<void>
  /** Points of one series with `since < at <= until`, oldest first, at most 10 000. */
  queryMetric(query: MetricQuery): Promise<MetricPoint[]>
}

// ---------------------------------------------------------------- monitor: alarms (CloudWatch's model)

export const ALARM_STATES = ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const
export type AlarmState = (typeof ALARM_STATES)[number]
export const ALARM_STATISTICS = ['Average', 'Maximum', 'Minimum', 'Sum', 'SampleCount'] as const
export type AlarmStatistic = (typeof ALARM_STATISTICS)[number]
export const ALARM_COMPARISONS = ['GreaterThanThreshold', 'GreaterThanOrEqualToThreshold', 'LessThanThreshold', 'LessThanOrEqualToThreshold'] as const
export type AlarmComparison = (typeof ALARM_COMPARISONS)[number]
export const TREAT_MISSING_DATA = ['missing', 'notBreaching', 'breaching', 'ignore'] as const
export type TreatMissingData = (typeof TREAT_MISSING_DATA)[number]

export interface AlarmRecord {
  id: string
  tenant: string
  name: string
  description: string
  /** The series watched: a metric of one schedule's runs. */
  scheduleId: string
  metricName: string
  statistic: AlarmStatistic
  comparison: AlarmComparison
  threshold: number
  /** Seconds per datapoint (≥ 60, a multiple of 60). */
  periodSeconds: number
  /** N: the most recent datapoints evaluated. */
  evaluationPeriods: number
  /** M of N: breaching datapoints that put the alarm in ALARM. */
  datapointsToAlarm: number
  treatMissingData: TreatMissingData
  /** Notify (webhooks, alerts) on state changes. */
  actionsEnabled: boolean
  state: AlarmState
  stateReason: string
  stateUpdatedAt: string
  createdAt: string
  createdBy: string
}

export interface AlarmHistoryRecord {
  id: string
  tenant: string
  alarmId: string
  at: string
  oldState: AlarmState
  newState: AlarmState
  reason: string
  /** What the evaluation saw (datapoints, rule, counts). */
  reasonData: Record<string, unknown>
}

export interface AlarmStore {
  createAlarm(record: AlarmRecord): Promise<void>
  getAlarm(tenant: string, id: string): Promise<AlarmRecord | undefined>
  /** Newest first; every tenant's when `tenant` is undefined (metrics export). */
  listAlarms(tenant?: string, scheduleId?: string): Promise<AlarmRecord[]>
  deleteAlarm(tenant: string, id: string): Promise<boolean>
  /**
   * Moves the alarm from `history.oldState` to `history.newState` and records the history
   * entry, in one transaction; false (nothing written) when the alarm is no longer in
   * `oldState` — another replica got there first, so only one of them notifies.
   */
  transitionAlarm(history: AlarmHistoryRecord): Promise<boolean>
  /** Newest first. */
  listAlarmHistory(tenant: string, alarmId: string, limit: number, cursor?: string): Promise<Page<AlarmHistoryRecord>>
}

// ---------------------------------------------------------------- feedback: verdicts on alerts (labeled data)

export const VERDICTS = ['true_positive', 'false_positive'] as const
export type Verdict = (typeof VERDICTS)[number]

/** Which text a verdict labels: the full scanned text kept at alert time, or (older alerts) the redacted excerpt. */
export const FEEDBACK_TEXT_SOURCES = ['scanned', 'excerpt'] as const
export type FeedbackTextSource = (typeof FEEDBACK_TEXT_SOURCES)[number]

/** The full text an alert was raised on (what the scanners saw), sealed; written with the alert. */
export interface AlertTextRecord {
  tenant: string
  alertId: string
  /** Sealed with aad `alert:<id>:text` (gateway/feedback.ts). */
  text: Sealed
  createdAt: string
}

/**
 * An operator's verdict on an alert. One per alert: a changed verdict replaces the earlier one
 * (latest wins, `revision` counts the changes) and every change is in the audit log, which is
 * the history — so an export has exactly one label per alert.
 */
export interface VerdictRecord {
  tenant: string
  alertId: string
  verdict: Verdict
  /** Key id or `cli`. */
  by: string
  at: string
  /** The operator's note, sealed (aad `alert:<id>:note`); null when none. */
  note: Sealed | null
  /** The labeled text, sealed: the alert's stored scanned text, or its excerpt when none was kept. */
  text: Sealed
  textSource: FeedbackTextSource
  /** Copied from the alert, for filtering and export. */
  scanners: string[]
  alertCreatedAt: string
  /** 1 for the first verdict on the alert, +1 for each change. */
  revision: number
}

export type VerdictInput = Omit<VerdictRecord, 'revision'>

export interface VerdictFilter {
  tenant: string
  verdict?: Verdict
  /** Verdicts on alerts whose `scanners` include this id. */
  scanner?: string
  /** Inclusive lower / exclusive upper bound on the verdict's `at`. */
  since?: string
  until?: string
  /** 1..1000. */
  limit: number
  cursor?: string
}

export interface FeedbackStore {
  /** Keeps an alert's scanned text; a second call for the same alert changes nothing (returns false). */
  putAlertText(record: AlertTextRecord): Promise<boolean>
  getAlertText(tenant: string, alertId: string): Promise<AlertTextRecord | undefined>
  /** Stores the verdict (replacing an earlier one, revision + 1) and returns it with the one it replaced. */
  putVerdict(input: VerdictInput): Promise<{ record: VerdictRecord; previous: VerdictRecord | undefined }>
  getVerdict(tenant: string, alertId: string): Promise<VerdictRecord | undefined>
  /** Newest verdict first (by `at`, then alert id). */
  listVerdicts(filter: VerdictFilter): Promise<Page<VerdictRecord>>
}

// ---------------------------------------------------------------- detector registry (trained model versions)

/** A registered detector version without its weights (lists). */
export interface DetectorVersionSummary {
  /** sha256 of the weights file, hex: the version's identity. */
  id: string
  /** The detector it is a version of: `prompt_injection`. */
  detector: string
  /** Bytes of the weights file. */
  size: number
  /** metrics.json as registered. */
  metrics: Record<string, unknown>
  description: string
  createdAt: string
  createdBy: string
}

export interface DetectorVersionRecord extends DetectorVersionSummary {
  /** The weights file (models/injection/weights.bin format for prompt_injection). */
  weights: Uint8Array
  /** MODEL_CARD.md as registered. */
  modelCard: string
}

/** One activation: what became active, and the activation it replaced (for rollback). */
export interface DetectorActivation {
  /** 1, 2, 3… per store, in order of activation. */
  seq: number
  detector: string
  /** The active version, or null for the shipped (built-in) weights. */
  versionId: string | null
  at: string
  by: string
  /** `activate` or `rollback`. */
  action: 'activate' | 'rollback'
  /** The activation this one undoes to when rolled back; null: rolling back returns to the built-in weights. */
  previousSeq: number | null
}

export interface DetectorRegistryStore {
  /** Registers a version; false (nothing changed) when this detector already has a version with that id. */
  registerDetectorVersion(record: DetectorVersionRecord): Promise<boolean>
  /** Newest first, without weights or model card. */
  listDetectorVersions(detector: string): Promise<DetectorVersionSummary[]>
  getDetectorVersion(detector: string, id: string): Promise<DetectorVersionRecord | undefined>
  /**
   * Makes a registered version (or null: the built-in weights) active; the activation that was
   * in force becomes what `rollbackDetector` returns to. Undefined when the version is unknown.
   */
  activateDetectorVersion(detector: string, versionId: string | null, by: string, at: string): Promise<DetectorActivation | undefined>
  /**
   * Returns to the version active before the current activation (repeatable: A→B→C rolls back
   * to B, then A, then the built-in weights). Undefined when there is nothing to roll back to.
   */
  rollbackDetector(detector: string, by: string, at: string): Promise<DetectorActivation | undefined>
  /** The activation in force, or undefined when none was ever made (the built-in weights). */
  getActiveDetector(detector: string): Promise<DetectorActivation | undefined>
  /** Activations newest first, at most `limit`. */
  listDetectorActivations(detector: string, limit: number): Promise<DetectorActivation[]>
}

// ---------------------------------------------------------------- gateway-wide jobs

/**
 * A gateway-wide job that runs on a cron schedule (the learning cycle): one row per job, leased
 * to one replica at a time like monitor schedules, so that of several gateways sharing the store
 * exactly one runs each due occurrence.
 */
export interface JobScheduleRecord {
  /** The job's name: `learning_cycle`. */
  name: string
  /** The five-field UTC cron expression the next run time was computed from. */
  cron: string
  nextRunAt: string
  lastRunAt: string | null
  /** What the last run ended with (`activated`, `awaiting_approval`, `failed: …`), at most 500 characters. */
  lastStatus: string | null
  leaseOwner: string | null
  leaseUntil: string | null
}

export interface JobScheduleStore {
  /**
   * Creates the job with its first run at `nextRunAt`, or, when it exists with another cron
   * expression, records the new one and moves the next run to `nextRunAt`; returns the row.
   * A job with the same cron is left as it is (a restart neither skips nor repeats a run).
   */
  ensureJobSchedule(name: string, cron: string, nextRunAt: string): Promise<JobScheduleRecord>
  /** Leases the job to `owner` until `leaseUntil` when it is due (`nextRunAt <= now`) and not leased (or the lease expired); undefined otherwise. */
  claimDueJob(name: string, now: string, leaseUntil: string, owner: string): Promise<JobScheduleRecord | undefined>
  /** Extends a lease `owner` still holds; false when it was lost. */
  renewJobLease(name: string, owner: string, leaseUntil: string): Promise<boolean>
  /** Ends `owner`'s lease and records the run (last run, its status, the next run); false when the lease was lost. */
  completeJob(name: string, owner: string, update: { lastRunAt: string; lastStatus: string; nextRunAt: string }): Promise<boolean>
  getJobSchedule(name: string): Promise<JobScheduleRecord | undefined>
}

// ---------------------------------------------------------------- the whole store

export interface Store
  extends KeyStore, AlertStore, PolicyStore, AuditStore, DataKeyStore, OutboxStore, CaptureStore, ScheduleStore, MetricSeriesStore, AlarmStore,
    FeedbackStore, DetectorRegistryStore, JobScheduleStore {
  /** `sqlite` or `postgres`. */
  readonly kind: string
  /** Applies pending schema migrations (versioned, idempotent, safe to call on every start). */
  migrate(): Promise<void>
  /** The applied schema version. */
  schemaVersion(): Promise<number>
  /** Answers when the backend is reachable (for `/readyz`). */
  ping(): Promise<void>
  close(): Promise<void>
}
