import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { parseDocument } from 'yaml'
import { RampartError } from './errors.js'
import type { ScannerRegistry } from './registry.js'
import { ACTIONS, DIRECTIONS, type Action, type Direction } from './types.js'

export const actionSchema = z.enum(ACTIONS)
export const directionSchema = z.enum(DIRECTIONS)

/** Settings shared by every scanner entry of a policy; `options` is the scanner's own schema. */
function scannerEntrySchema(options: z.ZodType) {
  return z
    .object({
      enabled: z.boolean().default(true),
      action: actionSchema.optional(),
      threshold: z.number().min(0).max(1).optional(),
      options: options.prefault({}),
    })
    .strict()
}

export interface ScannerEntry {
  enabled: boolean
  action?: Action
  threshold?: number
  options: unknown
}

export interface Policy {
  version: 1
  name: string
  description?: string
  /** Texts longer than this (UTF-16 code units) are refused with RAMPART_ERR_INPUT_TOO_LARGE. */
  maxChars: number
  /** Action for a scanner that throws or exceeds its time budget: fail closed by default. */
  onError: Action
  /** Time budget of an asynchronous scanner, in milliseconds. */
  scannerTimeoutMs: number
  input: Record<string, ScannerEntry>
  output: Record<string, ScannerEntry>
}

/**
 * Builds the policy schema for the scanners of `registry`: the one schema that validates a
 * policy file, fills defaults, and gives `rampart policy schema` its JSON Schema.
 */
export function buildPolicySchema(registry: ScannerRegistry) {
  const side = (direction: Direction) => {
    const shape: Record<string, z.ZodType> = {}
    for (const def of registry.all()) {
      if (def.directions.includes(direction)) shape[def.id] = scannerEntrySchema(def.options).optional()
    }
    return z.object(shape).strict().prefault({})
  }
  return z
    .object({
      version: z.literal(1).default(1),
      name: z.string().min(1).default('custom'),
      description: z.string().optional(),
      maxChars: z.number().int().positive().max(50_000_000).default(1_000_000),
      onError: actionSchema.default('block'),
      scannerTimeoutMs: z.number().int().positive().max(600_000).default(2_000),
      input: side('input'),
      output: side('output'),
    })
    .strict()
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`
  return out
}

/** Turns zod issues into one readable message whose lines each name a field path. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], root: string, registry?: ScannerRegistry): { message: string; path: string } {
  const lines = issues.map((issue) => {
    const base = formatPath([root, ...issue.path].filter((p) => p !== ''))
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((k) => `"${k}"`).join(', ')
      const last = issue.path[issue.path.length - 1]
      const hint =
        registry && (last === 'input' || last === 'output') && issue.path.length === 1
          ? `; scanners for ${String(last)}: ${registry.all().filter((d) => d.directions.includes(last)).map((d) => d.id).join(', ')}`
          : ''
      return `${base}: unknown field ${keys}${hint}`
    }
    return `${base}: ${issue.message}`
  })
  const first = issues[0]
  return { message: lines.join('\n'), path: formatPath([root, ...(first?.path ?? [])]) }
}

/** Replaces `${VAR}` and `${VAR:-default}` in every string of a parsed document. */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv = process.env): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, fallback?: string) => env[name] ?? fallback ?? '')
  }
  if (Array.isArray(value)) return value.map((v) => interpolateEnv(v, env))
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateEnv(v, env)]))
  }
  return value
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}

/** Validates a parsed policy object against the registry's scanners; returns it frozen, defaults filled. */
export function parsePolicy(raw: unknown, registry: ScannerRegistry, source = 'policy'): Policy {
  const schema = buildPolicySchema(registry)
  const result = schema.safeParse(raw)
  if (!result.success) {
    const { message, path } = describeIssues(result.error.issues, source, registry)
    throw new RampartError('RAMPART_ERR_POLICY_INVALID', `invalid policy:\n${message}`, { path, cause: result.error })
  }
  return deepFreeze(result.data as Policy)
}

/** Parses YAML or JSON policy text (JSON is YAML), interpolating environment variables. */
export function parsePolicyText(text: string, registry: ScannerRegistry, source = 'policy', env: NodeJS.ProcessEnv = process.env): Policy {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true })
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!
    const where = e.linePos?.[0] ? `${source}:${e.linePos[0].line}:${e.linePos[0].col}` : source
    throw new RampartError('RAMPART_ERR_POLICY_PARSE', `${where}: ${e.message.split('\n')[0]}`, { path: where, cause: e })
  }
  const raw = doc.toJS() ?? {}
  try {
    return parsePolicy(interpolateEnv(raw, env), registry, 'policy')
  } catch (error) {
    if (error instanceof RampartError && source !== 'policy') {
      throw new RampartError(error.code, `${source}: ${error.message}`, { path: error.path, cause: error.cause })
    }
    throw error
  }
}

/** Reads and validates a policy file. */
export function loadPolicyFile(file: string, registry: ScannerRegistry, env: NodeJS.ProcessEnv = process.env): Policy {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (cause) {
    throw new RampartError('RAMPART_ERR_POLICY_NOT_FOUND', `cannot read policy file ${file}: ${(cause as Error).message}`, { path: file, cause })
  }
  return parsePolicyText(text, registry, file, env)
}
