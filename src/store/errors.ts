import { RampartError, isRampartError } from '../core/errors.js'

/**
 * Wraps a driver error as `RAMPART_ERR_STORE`, naming the operation and keeping the cause;
 * Rampart errors (bad input, schema checks) pass through unchanged.
 */
export function storeError(error: unknown, operation: string): RampartError {
  if (isRampartError(error)) return error
  const message = error instanceof Error ? error.message : String(error)
  return new RampartError('RAMPART_ERR_STORE', `store: ${operation} failed: ${message}`, { cause: error })
}
