import { z } from 'zod'
import { stringify } from 'yaml'
import { buildPolicySchema, loadPolicyFile } from '../../core/policy.js'
import { DEFAULT_POLICY_PATH } from '../../guard.js'
import { builtinRegistry } from '../../scanners/index.js'
import { writeLine } from '../io.js'

/** `rampart policy validate FILE`: prints a summary and returns 0, or throws an error naming the field path. */
export async function runPolicyValidate(file: string): Promise<number> {
  const policy = loadPolicyFile(file, builtinRegistry())
  const count = (side: Record<string, { enabled: boolean } | undefined>) => Object.values(side).filter((e) => e?.enabled).length
  await writeLine(`ok: ${file} is a valid policy "${policy.name}" (${count(policy.input)} input scanners, ${count(policy.output)} output scanners)`)
  return 0
}

/** `rampart policy show [--policy FILE] [--format yaml|json]`: the effective policy, defaults filled in. */
export async function runPolicyShow(flags: { policy?: string; format: 'yaml' | 'json' }): Promise<number> {
  const policy = loadPolicyFile(flags.policy ?? DEFAULT_POLICY_PATH, builtinRegistry(), flags.policy === undefined ? {} : process.env)
  process.stdout.write(flags.format === 'json' ? `${JSON.stringify(policy, null, 2)}\n` : stringify(policy))
  return 0
}

/** `rampart policy schema`: the JSON Schema of policy files, for editor completion. */
export async function runPolicySchema(): Promise<number> {
  const schema = z.toJSONSchema(buildPolicySchema(builtinRegistry()), { io: 'input', unrepresentable: 'any' })
  await writeLine(JSON.stringify(schema, null, 2))
  return 0
}
