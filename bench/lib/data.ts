import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The shared data folder: RAMPART_DATA_DIR, or ../shared/data beside the repository. */
export function dataDir(): string {
  const dir = process.env.RAMPART_DATA_DIR ?? resolve(fileURLToPath(new URL('../..', import.meta.url)), '../shared/data')
  if (!existsSync(dir)) {
    throw new Error(`data folder not found: ${dir}. Set RAMPART_DATA_DIR to the folder holding prompt-injection/ and pii/.`)
  }
  return dir
}

/** Reads a JSONL file under the data folder. */
export function readJsonl<T>(relative: string): T[] {
  const file = join(dataDir(), relative)
  if (!existsSync(file)) throw new Error(`data file not found: ${file}`)
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T)
}
