/**
 * A Merkle tree in the shape of RFC 9162 (Certificate Transparency 2.0): leaves hashed as
 * SHA-256(0x00 ‖ data), nodes as SHA-256(0x01 ‖ left ‖ right), the left subtree always the
 * largest power of two — so roots and inclusion proofs can be checked with any RFC 9162 verifier.
 */
import { createHash, type Hash } from 'node:crypto'

const LEAF = Buffer.from([0])
const NODE = Buffer.from([1])

/** Starts a leaf hash; feed the leaf's bytes with `update`, finish with `digest()`. */
export function leafHasher(): Hash {
  return createHash('sha256').update(LEAF)
}

export function leafHash(data: Uint8Array): Buffer {
  return leafHasher().update(data).digest()
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE).update(left).update(right).digest()
}

/** The root of an empty tree: SHA-256 of nothing. */
export const EMPTY_ROOT = createHash('sha256').digest()

/**
 * Computes the root while leaves stream in, holding one hash per level (O(log n) memory): equal-size
 * perfect subtrees are merged as soon as they exist, and the rest is folded from the right at the end.
 */
export class MerkleAccumulator {
  private readonly stack: { hash: Buffer; size: number }[] = []
  private count = 0

  get size(): number {
    return this.count
  }

  add(leaf: Buffer): void {
    let node = { hash: leaf, size: 1 }
    this.count++
    for (let top = this.stack.at(-1); top !== undefined && top.size === node.size; top = this.stack.at(-1)) {
      this.stack.pop()
      node = { hash: nodeHash(top.hash, node.hash), size: top.size * 2 }
    }
    this.stack.push(node)
  }

  root(): Buffer {
    if (this.stack.length === 0) return EMPTY_ROOT
    let acc = (this.stack.at(-1) as { hash: Buffer }).hash
    for (let i = this.stack.length - 2; i >= 0; i--) acc = nodeHash((this.stack[i] as { hash: Buffer }).hash, acc)
    return acc
  }
}

/** Root over a list of leaf hashes. */
export function merkleRoot(leaves: readonly Buffer[]): Buffer {
  const acc = new MerkleAccumulator()
  for (const leaf of leaves) acc.add(leaf)
  return acc.root()
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

/** The audit path of leaf `index` (RFC 9162 §2.1.3.1), bottom-up. */
export function inclusionProof(leaves: readonly Buffer[], index: number): Buffer[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) throw new RangeError(`leaf ${index} is outside 0..${leaves.length - 1}`)
  const path = (lo: number, hi: number, m: number): Buffer[] => {
    const n = hi - lo
    if (n === 1) return []
    const k = largestPowerOfTwoBelow(n)
    if (m < k) return [...path(lo, lo + k, m), merkleRoot(leaves.slice(lo + k, hi))]
    return [...path(lo + k, hi, m - k), merkleRoot(leaves.slice(lo, lo + k))]
  }
  return path(0, leaves.length, index)
}

/** Checks an audit path (RFC 9162 §2.1.3.2): does leaf `index` of a `size`-leaf tree with this root hash to `leaf`? */
export function verifyInclusion(leaf: Buffer, index: number, size: number, proof: readonly Buffer[], root: Buffer): boolean {
  if (index < 0 || index >= size) return false
  let fn = index
  let sn = size - 1
  let r = leaf
  for (const p of proof) {
    if (sn === 0) return false
    if ((fn & 1) === 1 || fn === sn) {
      r = nodeHash(p, r)
      if ((fn & 1) === 0) {
        while ((fn & 1) === 0 && fn !== 0) {
          fn >>= 1
          sn >>= 1
        }
      }
    } else {
      r = nodeHash(r, p)
    }
    fn >>= 1
    sn >>= 1
  }
  return sn === 0 && r.equals(root)
}
