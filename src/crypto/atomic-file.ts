/**
 * Writing secret files so that a reader never sees half a file and nobody else can read it:
 * the bytes go to a private temporary file in the same directory, are flushed, then moved into
 * place in one step (rename, or link when the file must not already exist).
 */
import { randomBytes } from 'node:crypto'
import { link, open, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/** Mode of every secret file Rampart writes: owner read/write only. */
export const PRIVATE_FILE_MODE = 0o600

async function writePrivateTemp(target: string, data: string): Promise<string> {
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
  const handle = await open(temp, 'wx', PRIVATE_FILE_MODE)
  try {
    await handle.writeFile(data)
    await handle.sync()
  } catch (error) {
    await handle.close()
    await rm(temp, { force: true })
    throw error
  }
  await handle.close()
  return temp
}

/** Makes the rename or link itself durable; a no-op where directories cannot be opened (Windows). */
async function syncDirectory(dir: string): Promise<void> {
  let handle
  try {
    handle = await open(dir, 'r')
    await handle.sync()
  } catch {
    // Durability of the directory entry is best effort; the file content is already synced.
  } finally {
    await handle?.close()
  }
}

/** Replaces `target` with `data` atomically (mode 0600). */
export async function replaceFileAtomic(target: string, data: string): Promise<void> {
  const temp = await writePrivateTemp(target, data)
  try {
    await rename(temp, target)
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
  await syncDirectory(dirname(target))
}

/**
 * Creates `target` with `data` (mode 0600) unless it already exists. Returns false when another
 * writer got there first, so concurrent first starts agree on one file instead of overwriting.
 */
export async function createFileAtomic(target: string, data: string): Promise<boolean> {
  const temp = await writePrivateTemp(target, data)
  try {
    await link(temp, target)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  } finally {
    await rm(temp, { force: true })
  }
  await syncDirectory(dirname(target))
  return true
}
