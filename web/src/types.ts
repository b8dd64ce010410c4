// Typed end to end: the dashboard reads the gateway's own types (type-only imports, erased by the build).
import type { ApiKeyRecord, PolicyVersionRecord } from '../../src/store/types.js'

export type { AlertView } from '../../src/gateway/alert-service.js'
export type { DashboardSession, Overview, OverviewWindow, PolicyTryResult } from '../../src/gateway/dashboard/schemas.js'
export type { RunView, ScheduleView } from '../../src/monitor/ops/monitor-ops.js'
export type { Violation } from '../../src/monitor/types.js'
export type { AlarmHistoryRecord, AlarmRecord, AuditEntry, Role, Severity } from '../../src/store/types.js'
export type { Action, Finding } from '../../src/core/types.js'

/** A key as `GET /v1/keys` returns it (routes/keys.ts `publicKey`: never the hash). */
export type KeyView = Omit<ApiKeyRecord, 'secretHash'>
export type CreatedKey = KeyView & { key: string }
export type PolicySummary = Omit<PolicyVersionRecord, 'source'> & { active: boolean }
export type PolicyDetail = PolicySummary & { source: string }
export interface Page<T> {
  items: T[]
  nextCursor?: string
}
export interface AuditVerification {
  ok: boolean
  entries: number
  firstBadSeq?: number
  reason?: string
}
export interface MetricSeries {
  scheduleId: string
  name: string
  points: { at: string; value: number; runId: string }[]
}
