import { z } from 'zod'
import { ALARM_COMPARISONS, ALARM_STATISTICS, TREAT_MISSING_DATA } from '../../store/types.js'

/**
 * Request schemas of the monitor's HTTP API (`/v1/monitor/…`): they validate (unknown fields
 * refused), give the types, and feed the OpenAPI document.
 */

const inferenceId = z
  .string()
  .regex(/^[A-Za-z0-9._:@/+=-]{1,200}$/, '1-200 characters of letters, digits and . _ : @ / + = -')
  .describe('Your id for the inference: send ground truth under it later. A UUID is generated when absent.')
const name = z.string().min(1).max(200)
const isoTime = z.iso.datetime({ offset: true })
const value = z.union([z.string().max(1_000_000), z.number(), z.boolean(), z.null(), z.record(z.string(), z.unknown()), z.array(z.unknown())])

export const captureRecordSchema = z
  .object({
    inferenceId: inferenceId.optional(),
    modelId: name.describe('The model (and version) the inference came from; schedules select captures by it.'),
    input: value.describe('What the model got: a feature object (tabular) or a text.'),
    output: value.describe('What the model answered: an object, a number, a label or a text.'),
    at: isoTime.optional().describe('When the inference happened; now when absent.'),
  })
  .strict()

export const captureBatchSchema = z.object({ records: z.array(captureRecordSchema).min(1).max(1_000) }).strict()

export const groundTruthSchema = z
  .object({
    labels: z
      .array(z.object({ inferenceId, label: z.union([z.string().max(100_000), z.number(), z.boolean(), z.record(z.string(), z.unknown())]) }).strict())
      .min(1)
      .max(10_000),
  })
  .strict()

export const scheduleCreateSchema = z
  .object({
    name,
    cron: z.string().min(1).max(200).describe('Five fields (minute hour day-of-month month day-of-week), UTC, or @hourly/@daily/@weekly/@monthly/@yearly.'),
    modelId: name,
    baseline: z
      .union([
        z.object({ dir: z.string().min(1).max(500).describe("A folder under the gateway's <dataDir>/baselines/<tenant>/ holding statistics.json and constraints.json.") }).strict(),
        z
          .object({ statistics: z.record(z.string(), z.unknown()), constraints: z.record(z.string(), z.unknown()), profile: z.record(z.string(), z.unknown()).optional() })
          .strict()
          .describe('The files themselves (statistics.json, constraints.json, and profile.json when the baseline has one), stored sealed with the schedule (for several replicas).'),
      ])
      .describe('The baseline the captured window is checked against.'),
    groundTruthColumn: name.optional().describe('Column the joined ground-truth label goes to (default ground_truth).'),
    predictionColumn: name.optional().describe('Column holding the prediction: enables model-quality checks against the labels.'),
    enabled: z.boolean().default(true),
  })
  .strict()
export type ScheduleCreate = z.infer<typeof scheduleCreateSchema>

export const alarmCreateSchema = z
  .object({
    name,
    description: z.string().max(1_000).default(''),
    scheduleId: z.string().min(1).max(200),
    metricName: name.describe('A run metric: run.violations, run.failed, run.rows, dataset.drift_share, feature.<name>.…'),
    statistic: z.enum(ALARM_STATISTICS).default('Average'),
    comparison: z.enum(ALARM_COMPARISONS),
    threshold: z.number().refine(Number.isFinite, 'must be a finite number'),
    periodSeconds: z.number().int().min(60).max(31_622_400).multipleOf(60).default(3_600),
    evaluationPeriods: z.number().int().min(1).max(100).default(1),
    datapointsToAlarm: z.number().int().min(1).max(100).optional().describe('M of N; defaults to evaluationPeriods.'),
    treatMissingData: z.enum(TREAT_MISSING_DATA).default('missing'),
    actionsEnabled: z.boolean().default(true),
  })
  .strict()
  .refine((a) => a.datapointsToAlarm === undefined || a.datapointsToAlarm <= a.evaluationPeriods, { message: 'must not exceed evaluationPeriods', path: ['datapointsToAlarm'] })
export type AlarmCreate = z.infer<typeof alarmCreateSchema>

const limit = z.coerce.number().int().min(1).max(500).default(50)

export const runQuerySchema = z.object({ scheduleId: z.string().min(1).max(200).optional(), limit, cursor: z.string().max(500).optional() }).strict()
export const pageQuerySchema = z.object({ limit, cursor: z.string().max(500).optional() }).strict()
export const alarmQuerySchema = z.object({ scheduleId: z.string().min(1).max(200).optional() }).strict()
export const metricQuerySchema = z
  .object({
    scheduleId: z.string().min(1).max(200),
    name: z.string().min(1).max(256),
    since: isoTime.optional().describe('Exclusive; default 7 days before until.'),
    until: isoTime.optional().describe('Inclusive; default now.'),
  })
  .strict()
