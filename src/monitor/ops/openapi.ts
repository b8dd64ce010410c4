import { z } from 'zod'
import { alarmCreateSchema, alarmQuerySchema, captureBatchSchema, captureRecordSchema, groundTruthSchema, metricQuerySchema, pageQuerySchema, runQuerySchema, scheduleCreateSchema } from './api-schemas.js'

const json = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' })
const error = { description: 'Error: `{ error: { code, message, path? }, requestId }`' }
const errors = { '400': error, '401': error, '403': error, '429': error }
const body = (schema: z.ZodType) => ({ required: true, content: { 'application/json': { schema: json(schema) } } })
const ok = (description: string) => ({ description })
const secured = (roles: string) => ({ security: [{ bearer: [] }, { apiKey: [] }], 'x-rampart-roles': roles.split(',') })
const query = (schema: z.ZodObject) =>
  Object.entries(schema.shape).map(([name, s]) => ({ name, in: 'query', required: !(s as z.ZodType).safeParse(undefined).success, schema: json(s as z.ZodType) }))
const id = { name: 'id', in: 'path', required: true, schema: { type: 'string' } }

/** The `/v1/monitor/…` part of the gateway's OpenAPI document. */
export function monitorOpenApiPaths(): Record<string, unknown> {
  return {
    '/v1/monitor/capture': {
      post: {
        summary: 'Capture inferences of a model not behind the proxy: one record, or { records: [...] } (up to 1,000)',
        ...secured('admin,app'),
        requestBody: { required: true, content: { 'application/json': { schema: { oneOf: [json(captureRecordSchema), json(captureBatchSchema)] } } } },
        responses: { '201': ok('{ items: [{ inferenceId, stored }] } — stored is false for an id already captured'), ...errors, '413': error },
      },
    },
    '/v1/monitor/ground-truth': {
      post: { summary: 'Ground-truth labels by inference id, joined to captures', ...secured('admin,app'), requestBody: body(groundTruthSchema), responses: { '200': ok('{ accepted, matched }'), ...errors } },
    },
    '/v1/monitor/schedules': {
      get: { summary: 'Monitoring schedules of your tenant', ...secured('admin,analyst'), responses: { '200': ok('{ items }'), ...errors } },
      post: { summary: 'Create a monitoring schedule (cron, model, baseline)', ...secured('admin'), requestBody: body(scheduleCreateSchema), responses: { '201': ok('The schedule'), ...errors, '404': error } },
    },
    '/v1/monitor/schedules/{id}': {
      get: { summary: 'One schedule', ...secured('admin,analyst'), parameters: [id], responses: { '200': ok('The schedule'), ...errors, '404': error } },
      delete: { summary: 'Delete a schedule with its runs, metrics and alarms', ...secured('admin'), parameters: [id], responses: { '204': ok('Deleted'), ...errors, '404': error } },
    },
    '/v1/monitor/schedules/{id}/run': {
      post: { summary: 'Run a schedule now over the captures since its last run', ...secured('admin'), parameters: [id], responses: { '201': ok('The run with its violations'), '202': ok('Running on another replica'), ...errors, '404': error } },
    },
    '/v1/monitor/runs': { get: { summary: 'Runs of your tenant, newest first', ...secured('admin,analyst'), parameters: query(runQuerySchema), responses: { '200': ok('{ items, nextCursor? }'), ...errors } } },
    '/v1/monitor/runs/{id}': { get: { summary: 'One run with its violations', ...secured('admin,analyst'), parameters: [id], responses: { '200': ok('The run'), ...errors, '404': error } } },
    '/v1/monitor/metrics': { get: { summary: 'One metric series of a schedule', ...secured('admin,analyst'), parameters: query(metricQuerySchema), responses: { '200': ok('{ scheduleId, name, points: [{ at, value, runId }] }'), ...errors } } },
    '/v1/monitor/alarms': {
      get: { summary: 'Alarms of your tenant', ...secured('admin,analyst'), parameters: query(alarmQuerySchema), responses: { '200': ok('{ items }'), ...errors } },
      post: { summary: 'Create an alarm on a run metric (CloudWatch model)', ...secured('admin'), requestBody: body(alarmCreateSchema), responses: { '201': ok('The alarm, evaluated once'), ...errors, '404': error } },
    },
    '/v1/monitor/alarms/{id}': {
      get: { summary: 'One alarm', ...secured('admin,analyst'), parameters: [id], responses: { '200': ok('The alarm'), ...errors, '404': error } },
      delete: { summary: 'Delete an alarm and its history', ...secured('admin'), parameters: [id], responses: { '204': ok('Deleted'), ...errors, '404': error } },
    },
    '/v1/monitor/alarms/{id}/history': {
      get: { summary: 'State changes of an alarm, newest first', ...secured('admin,analyst'), parameters: [id, ...query(pageQuerySchema)], responses: { '200': ok('{ items, nextCursor? }'), ...errors, '404': error } },
    },
  }
}
