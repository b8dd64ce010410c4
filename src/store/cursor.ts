/**
 * Page cursors: the (createdAt, id) of the last item returned, as base64url JSON. Paging by
 * position rather than offset keeps pages stable while new rows arrive, and the id breaks ties
 * between rows written in the same millisecond. Opaque to callers; never trusted for scoping
 * (queries filter by tenant independently of the cursor).
 */
import { RampartError } from '../core/errors.js'
import { checkId, checkTime } from './validate.js'

export interface CursorPosition {
  createdAt: string
  id: string
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id]), 'utf8').toString('base64url')
}

export function decodeCursor(cursor: string, path = 'cursor'): CursorPosition {
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch (cause) {
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${path}: not a cursor returned by this store`, { path, cause })
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) {
    throw new RampartError('RAMPART_ERR_INPUT_INVALID', `${path}: not a cursor returned by this store`, { path })
  }
  return { createdAt: checkTime(parsed[0], path), id: checkId(parsed[1], path) }
}

/** Builds a page from `limit + 1` rows: the extra row only says whether another page exists. */
export function toPage<T extends CursorPosition>(rows: T[], limit: number): { items: T[]; nextCursor?: string } {
  if (rows.length <= limit) return { items: rows }
  const items = rows.slice(0, limit)
  const last = items[items.length - 1] as T
  return { items, nextCursor: encodeCursor(last) }
}

/** `toPage` for rows whose position is not (createdAt, id): the caller says which time and id order them. */
export function pageBy<T>(rows: T[], limit: number, position: (item: T) => CursorPosition): { items: T[]; nextCursor?: string } {
  if (rows.length <= limit) return { items: rows }
  const items = rows.slice(0, limit)
  return { items, nextCursor: encodeCursor(position(items[items.length - 1] as T)) }
}
