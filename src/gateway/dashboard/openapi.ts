import { z } from 'zod'
import { alertStreamQuerySchema, overviewQuerySchema, overviewSchema, policyTryResultSchema, policyTrySchema, sessionCreateSchema, sessionSchema } from './schemas.js'
import { CSRF_HEADER, SESSION_COOKIE } from './sessions.js'

const json = (schema: z.ZodType, io: 'input' | 'output' = 'input') => z.toJSONSchema(schema, { io, unrepresentable: 'any' })
const error = { description: 'Error: `{ error: { code, message, path? }, requestId }`' }
const errors = { '400': error, '401': error, '403': error, '429': error }
const ok = (description: string, schema?: z.ZodType) => ({ description, ...(schema === undefined ? {} : { content: { 'application/json': { schema: json(schema, 'output') } } }) })
const secured = (roles: string) => ({ security: [{ bearer: [] }, { apiKey: [] }, { session: [] }], 'x-rampart-roles': roles.split(',') })
const query = (schema: z.ZodObject) => Object.entries(schema.shape).map(([name, s]) => ({ name, in: 'query', required: false, schema: json(s as z.ZodType) }))

/** The session cookie as an OpenAPI security scheme (state-changing calls with it also need the CSRF header). */
export const sessionSecurityScheme = { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: `Set by POST /v1/session. POST and DELETE requests made with it must send the session's csrfToken as the ${CSRF_HEADER} header.` }

/** The dashboard's routes in the gateway's OpenAPI document. */
export function dashboardOpenApiPaths(): Record<string, unknown> {
  return {
    '/v1/session': {
      post: {
        summary: 'Sign in to the dashboard with an admin or analyst key: sets an httpOnly, SameSite=Strict session cookie (Secure under TLS) for 8 hours',
        requestBody: { required: true, content: { 'application/json': { schema: json(sessionCreateSchema) } } },
        responses: { '201': ok('The session, with the CSRF token for state-changing calls', sessionSchema), ...errors },
      },
      get: { summary: 'The caller (key, tenant, role) and, with the cookie, the CSRF token', ...secured('admin,analyst'), responses: { '200': ok('The session', sessionSchema), ...errors } },
      delete: { summary: 'Sign out: clears the cookie and ends the session', responses: { '204': ok('Signed out') } },
    },
    '/v1/dashboard/overview': {
      get: { summary: 'Requests, verdicts and alerts over time, top scanners and keys, alarms (one call for the overview page)', ...secured('admin,analyst'), parameters: query(overviewQuerySchema), responses: { '200': ok('The overview', overviewSchema), ...errors } },
    },
    '/v1/alerts/stream': {
      get: { summary: 'New alerts of your tenant as Server-Sent Events (`event: alert`); honours Last-Event-ID', ...secured('admin,analyst'), parameters: query(alertStreamQuerySchema), responses: { '200': ok('text/event-stream'), ...errors } },
    },
    '/v1/policies/try': {
      post: { summary: 'Scan a text with a stored version or the active policy, without raising an alert or storing anything', ...secured('admin,analyst'), requestBody: { required: true, content: { 'application/json': { schema: json(policyTrySchema) } } }, responses: { '200': ok('The scan result', policyTryResultSchema), ...errors, '404': error } },
    },
    '/': { get: { summary: 'The dashboard (single page; assets under /assets/)', responses: { '200': ok('text/html'), '404': error } } },
  }
}
