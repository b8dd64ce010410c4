import { z } from 'zod'
import { actionSchema } from '../../core/policy.js'
import { defineScanner, type Scanner, type ScannerFinding } from '../../core/scanner.js'
import type { Action } from '../../core/types.js'
import { pii, piiOptionsSchema } from '../pii/index.js'
import { secrets, secretsOptionsSchema } from '../secrets/index.js'
import { findConnectionStrings, findHosts, findPaths, findSql, findStackTraces, type InternalHit } from './internals.js'
import { compileNames, type CompiledNames } from './names.js'

export const DATA_LEAK_TYPES = ['INTERNAL_IDENTIFIER', 'STACK_TRACE', 'INTERNAL_PATH', 'INTERNAL_HOST', 'CONNECTION_STRING', 'SQL'] as const

export const dataLeakOptionsSchema = z
  .object({
    /**
     * Names in `context.internalNames` that are plain English words ("users", "orders"):
     * `context` reports them only where the response treats them as identifiers (`users`,
     * `prod.users`, FROM users, "the users table"); `anywhere` reports every whole-word use.
     */
    commonWordNames: z.enum(['context', 'anywhere']).default('context'),
    stackTraces: z.boolean().default(true),
    paths: z.boolean().default(true),
    hosts: z.boolean().default(true),
    connectionStrings: z.boolean().default(true),
    sql: z.boolean().default(true),
    /**
     * Action per finding type, over the scanner's action. By default SQL, stack traces and
     * paths are flagged (an assistant that writes code legitimately shows them); identifiers,
     * hosts, connection strings, secrets and personal data take the scanner's action (redact).
     */
    actions: z.record(z.string(), actionSchema).default({ SQL: 'flag', STACK_TRACE: 'flag', INTERNAL_PATH: 'flag' }),
    /** Options of the composed `pii` scanner (its own schema), or `false` to leave personal data out. */
    pii: z.union([z.literal(false), piiOptionsSchema]).prefault({}),
    /** Options of the composed `secrets` scanner (its own schema), or `false` to leave secrets out. */
    secrets: z.union([z.literal(false), secretsOptionsSchema]).prefault({}),
    /** Internal-name lists kept compiled (least recently used evicted). */
    cacheSize: z.number().int().min(1).max(1_000).default(32),
  })
  .strict()

export type DataLeakOptions = z.output<typeof dataLeakOptionsSchema>

/** A scanner composed into data_leak: its findings are re-labelled `<prefix>_<TYPE>`. */
interface Composed {
  prefix: string
  category: string
  scanner: Scanner
  threshold: number
}

export const dataLeak = defineScanner({
  id: 'data_leak',
  description: 'Detects data a response should not carry: internal identifiers from the context, secrets and personal data, stack traces, internal paths and hosts, connection strings and SQL.',
  directions: ['output'],
  defaults: { action: 'redact', threshold: 0.5 },
  options: dataLeakOptionsSchema,
  create(options, settings) {
    const namesCache = new Map<string, CompiledNames>()
    const actions = options.actions as Record<string, Action>
    const composed: Composed[] = []
    // Composed scanners run with data_leak's action as theirs; their own default thresholds apply.
    if (options.pii !== false) {
      composed.push({ prefix: 'PII', category: 'pii', scanner: pii.create(options.pii, { ...pii.defaults, action: settings.action }), threshold: pii.defaults.threshold })
    }
    if (options.secrets !== false) {
      composed.push({ prefix: 'SECRET', category: 'secret', scanner: secrets.create(options.secrets, { ...secrets.defaults, action: settings.action }), threshold: secrets.defaults.threshold })
    }

    function namesFor(list: readonly string[]): CompiledNames {
      const key = list.join('\u0000')
      let c = namesCache.get(key)
      if (c) {
        namesCache.delete(key)
      } else {
        c = compileNames(list)
        if (namesCache.size >= options.cacheSize) namesCache.delete(namesCache.keys().next().value as string)
      }
      namesCache.set(key, c)
      return c
    }

    const withAction = (f: ScannerFinding): ScannerFinding => {
      const a = actions[f.type]
      if (a !== undefined) f.action = a
      return f
    }

    return {
      scan(text, invocation) {
        const findings: ScannerFinding[] = []

        const names = invocation.context.internalNames
        if (Array.isArray(names) && names.length > 0) {
          const view = invocation.views.normalized
          let lower = view.text.toLowerCase()
          if (lower.length !== view.text.length) lower = view.text.replace(/[A-Z]+/g, (s) => s.toLowerCase())
          for (const hit of namesFor(names).find(view.text, lower, options.commonWordNames)) {
            const span = view.toOriginal(hit.start, hit.end)
            findings.push(withAction({ type: 'INTERNAL_IDENTIFIER', score: hit.kind === 'identifier' ? 0.9 : 0.75, start: span.start, end: span.end, detail: { name: hit.name, match: hit.kind } }))
          }
        }

        const internals: InternalHit[] = []
        if (options.stackTraces) findStackTraces(text, internals)
        if (options.paths) findPaths(text, internals)
        if (options.hosts) findHosts(text, internals)
        if (options.connectionStrings) findConnectionStrings(text, internals)
        if (options.sql) findSql(text, internals)
        for (const h of internals) findings.push(withAction({ type: h.type, score: h.score, start: h.start, end: h.end, detail: h.detail }))

        // Composed scanners may be asynchronous; stay synchronous when none of them is.
        const results = composed.map((c) => c.scanner.scan(text, invocation))
        const relabel = (c: Composed, found: readonly ScannerFinding[]) => {
          for (const f of found) {
            if (f.score < c.threshold) continue
            const type = `${c.prefix}_${f.type}`
            const relabelled: ScannerFinding = { ...f, type, detail: { ...f.detail, category: c.category, sourceType: f.type } }
            if (actions[type] !== undefined) relabelled.action = actions[type]
            findings.push(relabelled)
          }
        }
        if (results.every((r) => Array.isArray(r))) {
          results.forEach((r, i) => relabel(composed[i] as Composed, r as ScannerFinding[]))
          return findings
        }
        return Promise.all(results).then((all) => {
          all.forEach((r, i) => relabel(composed[i] as Composed, r))
          return findings
        })
      },
    }
  },
})
