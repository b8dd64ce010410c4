/** Bodies of the predict proxy (`POST /v1/models/{name}/predict`): validated here, and the OpenAPI document is generated from them. */
import { z } from 'zod'

export const modelParamsSchema = z.object({ name: z.string().min(1).max(100) }).strict()

const featureValue = z.union([z.number(), z.string(), z.boolean(), z.null()])
const features = z
  .union([z.array(featureValue).min(1).max(10_000), z.record(z.string(), featureValue)])
  .describe("One input: values in the model's feature order, or an object keyed by feature name.")

export const predictRequestSchema = z
  .object({
    features: features.optional(),
    instances: z.array(features).min(1).max(10_000).optional().describe('A batch of inputs (up to the model\'s maxBatch).'),
  })
  .strict()
  .refine((b) => (b.features === undefined) !== (b.instances === undefined), { message: 'give exactly one of features or instances', path: ['features'] })
export type PredictRequest = z.infer<typeof predictRequestSchema>

export const predictResponseSchema = z.object({
  predictions: z.array(
    z.object({
      label: z.string(),
      probabilities: z.record(z.string(), z.number()).optional().describe('After the model\'s output hardening (top-k, rounding, noise); absent when it returns labels only.'),
    }),
  ),
  rampart: z.object({
    model: z.string(),
    adversarial: z
      .array(z.object({ flagged: z.boolean(), score: z.number().describe('Fisher statistic of the distance, squeezing and margin signals.'), pValue: z.number().describe('Share of natural inputs at least this strange.') }))
      .optional()
      .describe('Per instance, for models with a shield profile.'),
  }),
})

const json = (schema: z.ZodType, io: 'input' | 'output' = 'input') => z.toJSONSchema(schema, { io, unrepresentable: 'any' })
const error = { description: 'Error: `{ error: { code, message, path? }, requestId }`' }

/** The predict proxy's part of the gateway's OpenAPI document. */
export function shieldOpenApiPaths(): Record<string, unknown> {
  return {
    '/v1/models/{name}/predict': {
      post: {
        summary: 'Predict with a configured model through the model shield (extraction detection, adversarial scores, output hardening)',
        security: [{ bearer: [] }, { apiKey: [] }],
        'x-rampart-roles': ['admin', 'app'],
        parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: { required: true, content: { 'application/json': { schema: json(predictRequestSchema) } } },
        responses: {
          '200': { description: 'Predictions, hardened, with the adversarial scores', content: { 'application/json': { schema: json(predictResponseSchema, 'output') } } },
          '400': error,
          '401': error,
          '403': error,
          '404': error,
          '429': error,
          '502': error,
          '504': error,
        },
      },
    },
  }
}
