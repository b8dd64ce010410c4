import type { z } from 'zod'
import { RampartError } from '../../core/errors.js'
import { describeIssues } from '../../core/policy.js'

/** `perFamily` → `--per-family`: errors name the flag the user typed. */
function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`
}

/**
 * Validates a command's flags with its zod schema; on failure throws RAMPART_ERR_INPUT_INVALID
 * naming each bad flag (`--per-family: Too small: expected number to be >0`).
 */
export function parseFlags<S extends z.ZodType>(schema: S, raw: Record<string, unknown>): z.infer<S> {
  const parsed = schema.safeParse(raw)
  if (parsed.success) return parsed.data
  const { message, path } = describeIssues(parsed.error.issues, 'flags')
  const named = message.replace(/^flags\.([A-Za-z]+)/gm, (_m, key: string) => flagName(key)).replace(/^flags: /gm, '')
  throw new RampartError('RAMPART_ERR_INPUT_INVALID', named, { path: path.replace(/^flags\.?([A-Za-z]*)/, (_m, key: string) => (key ? flagName(key) : 'flags')) })
}
