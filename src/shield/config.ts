/**
 * The shield's settings as the gateway reads them (`models` and `chatExtraction` in the config
 * file, or `RAMPART_MODELS` / `RAMPART_CHAT_EXTRACTION` as JSON): the protected models, each
 * with its endpoint, profile, output hardening and reaction to extraction, and the chat proxy's
 * extraction detection.
 */
import { z } from 'zod'
import { EXTRACTION_SIGNALS } from './extraction.js'
import { LLM_SIGNALS } from './llm-extraction.js'

export const REACTIONS = ['flag', 'throttle', 'block'] as const
export type Reaction = (typeof REACTIONS)[number]

const reactionFields = {
  /** flag: alert only; throttle: the key gets `throttlePerMinute` on this model from then on; block: the key is revoked. */
  action: z.enum(REACTIONS).default('flag'),
  throttlePerMinute: z.coerce.number().int().positive().max(60_000).default(10),
}

export const hardeningSchema = z
  .object({
    topK: z.number().int().positive().optional(),
    decimals: z.number().int().min(0).max(6).optional(),
    noise: z.object({ scale: z.number().min(0).max(10), keepTop: z.boolean().default(true) }).strict().optional(),
    labelOnly: z.boolean().optional(),
  })
  .strict()

export const modelConfigSchema = z
  .object({
    /** The name in `/v1/models/{name}/predict`. */
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, . _ - (up to 100)'),
    /** The model server's predict URL: it receives `{ instances: [...] }` and answers `{ predictions: [...] }`. */
    url: z.url({ protocol: /^https?$/ }),
    /** Bearer token sent to the model server. */
    apiKey: z.string().min(1).optional(),
    timeoutMs: z.coerce.number().int().positive().default(10_000),
    /** Class names, in the order of the model's probabilities. */
    classes: z.array(z.string().min(1)).min(2).optional(),
    /** A shield profile (JSON written by `ShieldProfile.build`); without one, only hardening applies. */
    profile: z.string().min(1).optional(),
    /** Largest batch accepted in one request. */
    maxBatch: z.coerce.number().int().positive().max(10_000).default(100),
    hardening: hardeningSchema.default({}),
    extraction: z
      .object({
        enabled: z.boolean().default(true),
        ...reactionFields,
        /** Evidence (nats) that flags; ln(1e9) by default. */
        evidence: z.number().positive().optional(),
        slack: z.number().min(1).optional(),
        window: z.number().int().min(20).max(5_000).optional(),
        signals: z.array(z.enum(EXTRACTION_SIGNALS as [string, ...string[]])).optional(),
      })
      .strict()
      .prefault({}),
    adversarial: z
      .object({
        enabled: z.boolean().default(true),
        /** Ask the model a second time on the squeezed inputs (doubles the model's load). */
        squeeze: z.boolean().default(false),
        /** Also test each input against the client's own earlier queries (query-based attacks probe next to their final input); needs extraction detection on. */
        history: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
  })
  .strict()
export type ModelConfig = z.infer<typeof modelConfigSchema>

export const chatExtractionSchema = z
  .object({
    enabled: z.boolean().default(true),
    ...reactionFields,
    signals: z.array(z.enum(LLM_SIGNALS as [string, ...string[]])).optional(),
    minTemplated: z.number().int().positive().optional(),
    minSystemPromptAttempts: z.number().int().positive().optional(),
    minMemorizationProbes: z.number().int().positive().optional(),
    window: z.number().int().min(10).max(5_000).optional(),
  })
  .strict()
export type ChatExtractionConfig = z.infer<typeof chatExtractionSchema>

export const modelsSchema = z.array(modelConfigSchema).default([]).refine((models) => new Set(models.map((m) => m.name)).size === models.length, { message: 'model names must be unique' })
