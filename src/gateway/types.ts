import type { Role } from '../store/types.js'

/** Who is calling: resolved from the API key by the auth plugin. */
export interface Principal {
  keyId: string
  tenant: string
  role: Role
  rateLimitPerMinute: number | null
  dailyQuota: number | null
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Answer without a key (health probes, OpenAPI). */
    public?: boolean
    /** Roles allowed on the route; every authenticated role when absent. */
    roles?: readonly Role[]
    /** Errors in OpenAI's format (the OpenAI-compatible routes). */
    openai?: boolean
    /** Route label for metrics (defaults to the route URL). */
    metricsRoute?: string
  }
  interface FastifyRequest {
    principal?: Principal
  }
}
