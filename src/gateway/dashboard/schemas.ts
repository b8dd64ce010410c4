import { z } from 'zod'
import { actionSchema, directionSchema } from '../../core/policy.js'
import { ROLES, SEVERITIES } from '../../store/types.js'

/**
 * Inputs and answers of the dashboard's own routes (sessions, overview, the alert stream, the
 * policy "try it" box). The bodies and queries validate through `parseInput`; the answers are
 * the types the front end (web/) imports, so both sides are typed from the same source.
 */

export const sessionCreateSchema = z
  .object({ key: z.string().min(1).max(500).describe('An admin or analyst API key (`rk_<id>_<secret>`).') })
  .strict()

export const sessionSchema = z.object({
  keyId: z.string(),
  tenant: z.string(),
  role: z.enum(ROLES),
  name: z.string(),
  /** Send it back as the `x-rampart-csrf` header on every POST/DELETE made with the session cookie. */
  csrfToken: z.string().nullable().describe('Null when the request was authenticated by an API key rather than the session cookie.'),
  expiresAt: z.string().nullable(),
})
export type DashboardSession = z.infer<typeof sessionSchema>

export const OVERVIEW_WINDOWS = { '1h': { spanMs: 3_600_000, bucketMs: 60_000 }, '24h': { spanMs: 86_400_000, bucketMs: 900_000 }, '7d': { spanMs: 604_800_000, bucketMs: 7_200_000 } } as const
export type OverviewWindow = keyof typeof OVERVIEW_WINDOWS

export const overviewQuerySchema = z
  .object({ window: z.enum(Object.keys(OVERVIEW_WINDOWS) as [OverviewWindow, ...OverviewWindow[]]).default('24h') })
  .strict()

const severityCounts = z.object(Object.fromEntries(SEVERITIES.map((s) => [s, z.number().int()])) as Record<(typeof SEVERITIES)[number], z.ZodNumber>)

export const overviewSchema = z.object({
  window: z.string(),
  since: z.string(),
  until: z.string(),
  bucketMs: z.number().int(),
  /** Traffic (guard and proxy requests) is counted by this gateway process since `trafficSince`; alerts come from the store. */
  trafficSince: z.string(),
  series: z.array(
    z.object({
      at: z.string().describe('Start of the bucket.'),
      requests: z.number().int(),
      flagged: z.number().int(),
      redacted: z.number().int(),
      blocked: z.number().int(),
      alerts: severityCounts,
    }),
  ),
  totals: z.object({ requests: z.number().int(), flagged: z.number().int(), redacted: z.number().int(), blocked: z.number().int(), alerts: z.number().int(), unacknowledged: z.number().int() }),
  topScanners: z.array(z.object({ scanner: z.string(), alerts: z.number().int() })),
  topKeys: z.array(z.object({ keyId: z.string(), name: z.string(), alerts: z.number().int(), blocked: z.number().int() })),
  alarms: z.array(z.object({ id: z.string(), name: z.string(), state: z.string(), stateReason: z.string(), stateUpdatedAt: z.string(), metricName: z.string(), scheduleId: z.string() })),
  /** True when the window held more alerts than the overview reads (the counts are then lower bounds). */
  alertsTruncated: z.boolean(),
})
export type Overview = z.infer<typeof overviewSchema>

export const alertStreamQuerySchema = z
  .object({ since: z.iso.datetime({ offset: true }).optional().describe('Replay alerts created at or after this time first; default: only new ones.') })
  .strict()

export const policyTrySchema = z
  .object({
    text: z.string().max(100_000),
    direction: directionSchema.default('input'),
    version: z.number().int().positive().optional().describe("A stored version of your tenant; the tenant's active policy when absent."),
  })
  .strict()

export const policyTryResultSchema = z.object({
  decision: actionSchema,
  text: z.string(),
  findings: z.array(z.object({ scanner: z.string(), type: z.string(), score: z.number(), action: actionSchema, start: z.number().int().optional(), end: z.number().int().optional(), detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional() })),
  latencyMs: z.number(),
  policyVersion: z.number().int().nullable(),
})
export type PolicyTryResult = z.infer<typeof policyTryResultSchema>
