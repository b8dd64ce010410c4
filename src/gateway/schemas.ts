import { z } from 'zod'
import { scanContextSchema } from '../core/context-schema.js'
import { RampartError } from '../core/errors.js'
import { actionSchema, describeIssues, directionSchema } from '../core/policy.js'
import { ROLES, SEVERITIES } from '../store/types.js'
import { TENANT_PATTERN } from './api-keys.js'

/**
 * One schema per API body and query: it validates (unknown fields rejected, except on the
 * OpenAI-compatible body, which must accept OpenAI's growing parameter list) and gives the types.
 * The OpenAPI document is generated from these same schemas.
 */

export const guardRequestSchema = z
  .object({
    text: z.string().describe('The prompt (input) or model response (output) to scan.'),
    direction: directionSchema.default('input'),
    /** A stored policy version of the caller's tenant, or a policy object; the tenant's active policy by default. */
    policy: z.union([z.number().int().positive(), z.record(z.string(), z.unknown())]).optional().describe('A policy version number of your tenant, or an inline policy object.'),
    context: scanContextSchema.optional(),
    id: z.union([z.string().max(200), z.number()]).optional().describe('Echoed back, as in `rampart scan --jsonl`.'),
  })
  .strict()
export type GuardRequest = z.infer<typeof guardRequestSchema>

const findingSchema = z.object({
  scanner: z.string(),
  type: z.string(),
  score: z.number(),
  action: actionSchema,
  start: z.number().int().optional(),
  end: z.number().int().optional(),
  detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
})

export const guardResponseSchema = z.object({
  id: z.union([z.string(), z.number()]).optional(),
  decision: actionSchema,
  text: z.string(),
  findings: z.array(findingSchema),
  latencyMs: z.number(),
  policyVersion: z.number().int().nullable().describe('The stored policy version used; null for the gateway default.'),
  alertId: z.string().optional().describe('Set when the verdict raised an alert.'),
})

const textPart = z.looseObject({ type: z.literal('text'), text: z.string() })
const otherPart = z.looseObject({ type: z.string() })
export const chatMessageSchema = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: z.union([z.string(), z.array(z.union([textPart, otherPart])), z.null()]).optional(),
  name: z.string().optional(),
})
export type ChatMessage = z.infer<typeof chatMessageSchema>

/** Rampart's own extension of the chat body, removed before forwarding. */
export const rampartExtensionSchema = z
  .object({
    canaries: z.array(z.string().min(1).max(10_000)).max(1_000).optional(),
    internalNames: z.array(z.string().min(1).max(10_000)).max(10_000).optional(),
  })
  .strict()

export const chatRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(chatMessageSchema).min(1),
  stream: z.boolean().optional(),
  n: z.number().int().min(1).max(16).optional(),
  rampart: rampartExtensionSchema.optional(),
})
export type ChatRequest = z.infer<typeof chatRequestSchema>

const limit = z.coerce.number().int().min(1).max(500).default(50)
const isoTime = z.iso.datetime({ offset: true })

export const alertQuerySchema = z
  .object({
    since: isoTime.optional(),
    until: isoTime.optional(),
    scanner: z.string().max(100).optional(),
    severity: z.enum(SEVERITIES).optional(),
    decision: actionSchema.optional(),
    acknowledged: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
    limit,
    cursor: z.string().max(500).optional(),
  })
  .strict()

export const idParamsSchema = z.object({ id: z.string().min(1).max(200) }).strict()
export const versionParamsSchema = z.object({ version: z.coerce.number().int().positive() }).strict()

export const policyCreateSchema = z
  .object({
    source: z.string().min(1).max(1_000_000).optional().describe('The policy as YAML or JSON text.'),
    policy: z.record(z.string(), z.unknown()).optional().describe('The policy as an object.'),
    description: z.string().max(1_000).default(''),
    activate: z.boolean().default(false),
  })
  .strict()
  .refine((b) => (b.source === undefined) !== (b.policy === undefined), { message: 'give exactly one of source or policy', path: ['source'] })

export const keyCreateSchema = z
  .object({
    role: z.enum(ROLES),
    name: z.string().max(200).default(''),
    tenant: z.string().regex(TENANT_PATTERN).optional().describe("Must be the caller's own tenant."),
    rateLimitPerMinute: z.number().int().positive().max(60_000_000).nullable().default(null),
    dailyQuota: z.number().int().positive().nullable().default(null),
  })
  .strict()

export const auditQuerySchema = z
  .object({
    from: z.coerce.number().int().min(1).default(1),
    limit,
  })
  .strict()

/** Parses `value` or throws RAMPART_ERR_INPUT_INVALID naming each bad field (`body.direction: …`). */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, root: 'body' | 'query' | 'params'): z.infer<S> {
  const parsed = schema.safeParse(value ?? (root === 'body' ? undefined : {}))
  if (!parsed.success) {
    const { message, path } = describeIssues(parsed.error.issues, root)
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', message, { path })
  }
  return parsed.data
}
