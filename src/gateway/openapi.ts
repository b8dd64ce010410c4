import { createRequire } from 'node:module'
import { z } from 'zod'
import {
  alertQuerySchema,
  auditQuerySchema,
  chatRequestSchema,
  guardRequestSchema,
  guardResponseSchema,
  keyCreateSchema,
  policyCreateSchema,
} from './schemas.js'
import { dashboardOpenApiPaths, sessionSecurityScheme } from './dashboard/openapi.js'
import { feedbackQuerySchema, verdictBodySchema } from './routes/feedback.js'
import { monitorOpenApiPaths } from '../monitor/ops/openapi.js'
import { shieldOpenApiPaths } from '../shield/api-schemas.js'
import { shadowPolicyBodySchema, shadowQuerySchema } from './routes/shadow.js'

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string }

const json = (schema: z.ZodType, io: 'input' | 'output' = 'input') => z.toJSONSchema(schema, { io, unrepresentable: 'any' })

function queryParams(schema: z.ZodObject): unknown[] {
  return Object.entries(schema.shape).map(([name, s]) => ({ name, in: 'query', required: false, schema: z.toJSONSchema(s as z.ZodType, { io: 'input', unrepresentable: 'any' }) }))
}

const errorResponse = { description: 'Error: `{ error: { code, message, path? }, requestId }` (OpenAI format on the proxy)' }
const body = (schema: z.ZodType) => ({ required: true, content: { 'application/json': { schema: json(schema) } } })
const ok = (description: string, schema?: z.ZodType) => ({ description, ...(schema === undefined ? {} : { content: { 'application/json': { schema: json(schema, 'output') } } }) })
const secured = (roles: string) => ({ security: [{ bearer: [] }, { apiKey: [] }], 'x-rampart-roles': roles.split(',') })
const errors = { '400': errorResponse, '401': errorResponse, '403': errorResponse, '429': errorResponse }

/** The gateway's OpenAPI 3.1 document, generated from the same zod schemas that validate the requests. */
export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: { title: 'Rampart gateway', version, description: 'Guard API, OpenAI-compatible proxy, alerts, policies, keys and audit. Authenticate with `Authorization: Bearer rk_…` or `x-api-key`.' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' }, session: sessionSecurityScheme },
    },
    paths: {
      '/v1/guard': { post: { summary: 'Scan a prompt or a response with the tenant policy (ApplyGuardrail)', ...secured('admin,app'), requestBody: body(guardRequestSchema), responses: { '200': ok('The scan result, as `rampart scan` prints it', guardResponseSchema), ...errors, '413': errorResponse } } },
      '/v1/chat/completions': { post: { summary: 'OpenAI-compatible chat completions, guarded (stream: true supported)', ...secured('admin,app'), requestBody: body(chatRequestSchema), responses: { '200': ok('The upstream response with a `rampart` verdict field (SSE when streaming)'), ...errors, '502': errorResponse, '503': errorResponse, '504': errorResponse } } },
      '/v1/alerts': { get: { summary: 'List alerts of your tenant, newest first', ...secured('admin,analyst'), parameters: queryParams(alertQuerySchema), responses: { '200': ok('A page of alerts'), ...errors } } },
      '/v1/alerts/{id}': { get: { summary: 'One alert', ...secured('admin,analyst'), responses: { '200': ok('The alert'), ...errors, '404': errorResponse } } },
      '/v1/alerts/{id}/ack': { post: { summary: 'Acknowledge an alert (idempotent)', ...secured('admin,analyst'), responses: { '200': ok('The acknowledged alert'), ...errors, '404': errorResponse } } },
      '/v1/alerts/{id}/verdict': { post: { summary: 'Mark an alert a true or false positive (latest verdict wins; each one audited); the scanned text becomes labeled data', ...secured('admin,analyst'), requestBody: body(verdictBodySchema), responses: { '200': ok('The verdict, its text with personal data and secrets redacted, and the verdict it replaced'), ...errors, '404': errorResponse } } },
      '/v1/feedback': { get: { summary: 'Verdicts on alerts of your tenant, newest first (texts redacted)', ...secured('admin,analyst'), parameters: queryParams(feedbackQuerySchema), responses: { '200': ok('A page of verdicts'), ...errors } } },
      '/v1/detectors': { get: { summary: 'Registered prompt_injection versions with their metrics, the active one and the activation history (activate and roll back with the rampart CLI)', ...secured('admin'), responses: { '200': ok('Versions, active, loaded by this process, history'), ...errors } } },
      '/v1/policies': {
        get: { summary: 'List policy versions', ...secured('admin,analyst'), responses: { '200': ok('Versions and the active one'), ...errors } },
        post: { summary: 'Create a policy version (immutable)', ...secured('admin'), requestBody: body(policyCreateSchema), responses: { '201': ok('The new version'), ...errors } },
      },
      '/v1/policies/{version}': { get: { summary: 'One policy version with its source', ...secured('admin,analyst'), responses: { '200': ok('The version'), ...errors, '404': errorResponse } } },
      '/v1/policies/{version}/activate': { post: { summary: 'Make a version the tenant policy', ...secured('admin'), responses: { '200': ok('Activated'), ...errors, '404': errorResponse } } },
      '/v1/keys': {
        get: { summary: 'List API keys of your tenant', ...secured('admin'), responses: { '200': ok('Keys (never secrets)'), ...errors } },
        post: { summary: 'Create an API key (the secret is returned once)', ...secured('admin'), requestBody: body(keyCreateSchema), responses: { '201': ok('The key'), ...errors } },
      },
      '/v1/keys/{id}': { delete: { summary: 'Revoke a key', ...secured('admin'), responses: { '200': ok('The revoked key'), ...errors, '404': errorResponse } } },
      '/v1/audit': { get: { summary: 'Audit entries of your tenant', ...secured('admin,analyst'), parameters: queryParams(auditQuerySchema), responses: { '200': ok('Entries'), ...errors } } },
      '/v1/audit/verify': { get: { summary: 'Verify the audit hash chain', ...secured('admin,analyst'), responses: { '200': ok('{ ok, entries, firstBadSeq? }'), ...errors } } },
      '/v1/shadow': { get: { summary: 'Shadow mode: its state and the disagreements of your tenant (redacted excerpts), or the window as a replay report (format=report)', ...secured('admin'), parameters: queryParams(shadowQuerySchema), responses: { '200': ok('{ shadow, items, nextCursor? } or { shadow, report }'), ...errors } } },
      '/v1/shadow/policy': {
        put: { summary: "Run one of your stored policy versions in shadow beside the active one (never enforced); replaces the gateway's shadow policy for your tenant", ...secured('admin'), requestBody: body(shadowPolicyBodySchema), responses: { '200': ok('{ shadow }'), ...errors, '404': errorResponse } },
        delete: { summary: 'Stop running a stored version in shadow', ...secured('admin'), responses: { '200': ok('{ cleared, shadow }'), ...errors } },
      },
      '/metrics': { get: { summary: 'Prometheus metrics', ...secured('admin,analyst'), responses: { '200': ok('text/plain exposition format') } } },
      '/healthz': { get: { summary: 'Liveness', responses: { '200': ok('ok') } } },
      '/readyz': { get: { summary: 'Readiness (store, Redis)', responses: { '200': ok('ready'), '503': ok('not ready') } } },
      ...monitorOpenApiPaths(),
      ...shieldOpenApiPaths(),
      ...dashboardOpenApiPaths(),
    },
  }
}
