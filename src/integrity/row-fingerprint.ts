/**
 * MurmurHash3 x86_32 (seed 0) of a row's bytes, fed in pieces, without allocating: the per-row
 * fingerprint of manifests. It only says *where* a change is — the signed SHA-256 values say
 * *whether* there is one — so a fast non-cryptographic hash is the right tool: a native call per
 * row (zlib.crc32 on a subarray) costs more than hashing the row here, in allocation and GC.
 *
 * Words are read through a Uint32Array view of the buffer when it is 4-byte aligned (two aligned
 * reads and a shift for an unaligned row), which is several times faster than composing bytes.
 */

const QUOTE = 0x22

/** Bytes equal to `"` in a 32-bit word: exact zero-byte count of w ^ 0x22222222. */
function quotesIn(w: number): number {
  const x = w ^ 0x22222222
  const z = ~(((x & 0x7f7f7f7f) + 0x7f7f7f7f) | x) & 0x80808080
  return z === 0 ? 0 : Math.imul(z >>> 7, 0x01010101) >>> 24
}

const C1 = 0xcc9e2d51
const C2 = 0x1b873593

function mixK(k: number): number {
  k = Math.imul(k, C1)
  k = (k << 15) | (k >>> 17)
  return Math.imul(k, C2)
}

function mixH(h: number, k: number): number {
  h ^= mixK(k)
  h = (h << 13) | (h >>> 19)
  return (Math.imul(h, 5) + 0xe6546b64) | 0
}

/** MurmurHash3 x86_32 of `bytes` in one go (the reference the streaming form must match). */
export function murmur3(bytes: Uint8Array, seed = 0): number {
  const f = new RowFingerprint()
  f.reset(seed)
  f.update(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), 0, bytes.length)
  return f.digest()
}

export class RowFingerprint {
  private h = 0
  private length = 0
  /** Bytes not yet forming a word (0..3 of them), little-endian. */
  private tail = 0
  private tailBytes = 0
  private viewOf: Buffer | undefined
  private view: Uint32Array | undefined

  reset(seed = 0): void {
    this.h = seed | 0
    this.length = 0
    this.tail = 0
    this.tailBytes = 0
  }

  private words(buf: Buffer): Uint32Array | undefined {
    if (buf !== this.viewOf) {
      this.viewOf = buf
      this.view = (buf.byteOffset & 3) === 0 ? new Uint32Array(buf.buffer, buf.byteOffset, buf.length >>> 2) : undefined
    }
    return this.view
  }

  /** Adds bytes [start, end) of `buf`. */
  update(buf: Buffer, start: number, end: number): void {
    this.hash(buf, start, end, false)
  }

  /**
   * Adds bytes [start, end) and returns how many of them are `"` — counted in the same pass over
   * the words (SWAR), so a CSV reader learns its quote state without reading the line twice.
   */
  updateCountingQuotes(buf: Buffer, start: number, end: number): number {
    return this.hash(buf, start, end, true)
  }

  private hash(buf: Buffer, start: number, end: number, count: boolean): number {
    this.length += end - start
    let quotes = 0
    let i = start
    let h = this.h
    // Complete a word left over from the previous piece.
    if (this.tailBytes > 0) {
      while (this.tailBytes < 4 && i < end) {
        const b = buf[i++] as number
        if (b === QUOTE) quotes++
        this.tail |= b << (8 * this.tailBytes++)
      }
      if (this.tailBytes < 4) return quotes
      h = mixH(h, this.tail)
      this.tail = 0
      this.tailBytes = 0
    }
    const words = (end - i) >>> 2
    const u32 = this.words(buf)
    let n = 0
    if (u32 !== undefined && words > 0) {
      const o = i & 3
      let wi = i >>> 2
      if (o === 0) {
        if (count)
          for (; n < words; n++) {
            const w = u32[wi++] as number
            quotes += quotesIn(w)
            h = mixH(h, w)
          }
        else for (; n < words; n++) h = mixH(h, u32[wi++] as number)
      } else {
        const sh = 8 * o
        let cur = u32[wi] as number
        // The last word may need the view's word past the end: that one is composed from bytes below.
        for (; n < words && wi + 1 < u32.length; n++) {
          const next = u32[++wi] as number
          const w = (cur >>> sh) | (next << (32 - sh))
          if (count) quotes += quotesIn(w)
          h = mixH(h, w)
          cur = next
        }
      }
      i += 4 * n
    }
    for (; n < words; n++, i += 4) {
      const w = (buf[i] as number) | ((buf[i + 1] as number) << 8) | ((buf[i + 2] as number) << 16) | ((buf[i + 3] as number) << 24)
      if (count) quotes += quotesIn(w)
      h = mixH(h, w)
    }
    for (; i < end; i++) {
      const b = buf[i] as number
      if (b === QUOTE) quotes++
      this.tail |= b << (8 * this.tailBytes++)
    }
    this.h = h
    return quotes
  }

  /** The fingerprint of everything added since `reset` (unsigned 32-bit). */
  digest(): number {
    let h = this.h
    if (this.tailBytes > 0) h ^= mixK(this.tail)
    h ^= this.length
    h ^= h >>> 16
    h = Math.imul(h, 0x85ebca6b)
    h ^= h >>> 13
    h = Math.imul(h, 0xc2b2ae35)
    h ^= h >>> 16
    return h >>> 0
  }
}
