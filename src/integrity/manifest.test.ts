import { createHash, generateKeyPairSync } from 'node:crypto'
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { digestFile, listDataFiles, readManifest, signDataset, verifyDataset, writeManifest, type Manifest } from './manifest.js'
import { inclusionProof, leafHash, MerkleAccumulator, merkleRoot, nodeHash, verifyInclusion } from './merkle.js'
import { diffRows } from './row-diff.js'
import { loadOrCreateDataDirKey, parseSigningKey, SIGNING_KEY_FILE_NAME } from './signing-key.js'

const root = mkdtempSync(join(tmpdir(), 'rampart-manifest-'))
let n = 0
const fresh = () => {
  const d = join(root, String(n++))
  mkdirSync(d)
  return d
}

/** A generated CSV with quoted multi-line cells, so rows are not lines. */
function generatedCsv(rows: number): string {
  let s = 'id,name,note,label\r\n'
  for (let i = 0; i < rows; i++) s += `${i},name ${i},${i % 7 === 0 ? `"line one\r\nline ""two"" of ${i}"` : `plain ${i}`},${i % 3}\r\n`
  return s
}

function key() {
  const { privateKey } = generateKeyPairSync('ed25519')
  return parseSigningKey(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 'test-key')
}

async function signDir(dir: string, k = key()) {
  const manifest = await signDataset(await listDataFiles([dir]), { key: k })
  return { manifest, key: k }
}

async function verifyDir(dir: string, manifest: Manifest, k: ReturnType<typeof key>) {
  return verifyDataset(manifest, await listDataFiles([dir]), { publicKey: k.publicKey, reportAdded: true })
}

describe('Merkle tree (RFC 9162 shape)', () => {
  // Reference: the recursive definition, MTH(D[n]) = H(0x01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n])) with k the largest power of two < n.
  const reference = (leaves: Buffer[]): Buffer => {
    if (leaves.length === 0) return createHash('sha256').digest()
    if (leaves.length === 1) return leaves[0] as Buffer
    let k = 1
    while (k * 2 < leaves.length) k *= 2
    return nodeHash(reference(leaves.slice(0, k)), reference(leaves.slice(k)))
  }

  it('the streaming root equals the recursive definition, and every inclusion proof verifies', () => {
    for (let size = 0; size <= 33; size++) {
      const leaves = Array.from({ length: size }, (_, i) => leafHash(Buffer.from(`row ${i}`)))
      const acc = new MerkleAccumulator()
      for (const l of leaves) acc.add(l)
      expect(acc.root().equals(reference(leaves)), `size ${size}`).toBe(true)
      const rootHash = merkleRoot(leaves)
      for (let i = 0; i < size; i++) {
        const proof = inclusionProof(leaves, i)
        expect(verifyInclusion(leaves[i] as Buffer, i, size, proof, rootHash)).toBe(true)
        expect(verifyInclusion(leafHash(Buffer.from('forged')), i, size, proof, rootHash)).toBe(false)
        if (size > 1) expect(verifyInclusion(leaves[i] as Buffer, (i + 1) % size, size, proof, rootHash)).toBe(false)
      }
    }
  })
})

describe('row diff', () => {
  it('names a changed, an added and a removed row among duplicates', () => {
    expect(diffRows([1, 2, 3, 4], [1, 9, 3, 4])).toEqual({ changed: [{ row: 1, previous: 1 }], added: [], removed: [] })
    expect(diffRows([1, 2, 3, 4], [1, 2, 7, 3, 4])).toEqual({ changed: [], added: [2], removed: [] })
    expect(diffRows([1, 2, 3, 4], [1, 3, 4])).toEqual({ changed: [], added: [], removed: [1] })
    expect(diffRows([5, 5, 5, 6, 5], [5, 5, 6, 5])).toEqual({ changed: [], added: [], removed: [2] })
    expect(diffRows([1, 2, 3, 4, 5, 6], [1, 8, 3, 4, 9, 6, 10])).toEqual({ changed: [{ row: 1, previous: 1 }, { row: 4, previous: 4 }], added: [6], removed: [] })
  })
})

describe('dataset manifests', () => {
  it('verifies unchanged data, then names the row of a single changed byte', async () => {
    const dir = fresh()
    const csv = generatedCsv(1000)
    writeFileSync(join(dir, 'data.csv'), csv)
    const { manifest, key: k } = await signDir(dir)
    const entry = manifest.files[0]
    expect(entry?.rows?.count).toBe(1000)
    expect(entry?.sha256).toBe(createHash('sha256').update(csv).digest('hex'))
    expect((await verifyDir(dir, manifest, k)).ok).toBe(true)

    // One byte inside row 637 (a plain row) and one inside the quoted two-line cell of row 700.
    for (const [row, needle] of [
      [637, 'name 637,'],
      [700, 'line ""two"" of 700'],
    ] as const) {
      const bytes = Buffer.from(csv)
      const at = bytes.indexOf(needle)
      const pos = at + needle.length - 2
      bytes[pos] = (bytes[pos] as number) ^ 1
      writeFileSync(join(dir, 'data.csv'), bytes)
      const result = await verifyDir(dir, manifest, k)
      expect(result.ok).toBe(false)
      const f = result.files[0]
      expect(f?.status).toBe('changed')
      expect(f?.rows?.changed).toEqual([{ row, previous: row }])
      expect(f?.rows?.counts).toEqual({ changed: 1, added: 0, removed: 0 })
      expect(f?.header_changed).toBe(false)
    }
  })

  it('locates an added row, a removed row, a header edit, and missing or added files', async () => {
    const dir = fresh()
    const csv = generatedCsv(300)
    writeFileSync(join(dir, 'data.csv'), csv)
    writeFileSync(join(dir, 'notes.jsonl'), '{"a":1}\n{"a":2}\n')
    const { manifest, key: k } = await signDir(dir)
    const lines = csv.split('\r\n')
    // Rows 0..299 start at line index 1, but row 7's cell spans two lines: row 150 is line index 1 + 150 + 22.
    const at = (row: number) => 1 + row + Math.floor((row + 6) / 7)
    const added = [...lines.slice(0, at(150)), '999,inserted,x,1', ...lines.slice(at(150))].join('\r\n')
    writeFileSync(join(dir, 'data.csv'), added)
    let r = (await verifyDir(dir, manifest, k)).files.find((f) => f.path === 'data.csv')
    expect(r?.rows?.added).toEqual([150])
    expect(r?.rows?.counts).toEqual({ changed: 0, added: 1, removed: 0 })

    const removed = [...lines.slice(0, at(10)), ...lines.slice(at(10) + 1)].join('\r\n')
    writeFileSync(join(dir, 'data.csv'), removed)
    r = (await verifyDir(dir, manifest, k)).files.find((f) => f.path === 'data.csv')
    expect(r?.rows?.removed).toEqual([10])

    writeFileSync(join(dir, 'data.csv'), csv.replace('id,name', 'id,NAME'))
    r = (await verifyDir(dir, manifest, k)).files.find((f) => f.path === 'data.csv')
    expect(r?.header_changed).toBe(true)
    expect(r?.rows?.counts).toEqual({ changed: 0, added: 0, removed: 0 })

    writeFileSync(join(dir, 'data.csv'), csv)
    rmSync(join(dir, 'notes.jsonl'))
    writeFileSync(join(dir, 'extra.txt'), 'x')
    const all = await verifyDir(dir, manifest, k)
    expect(all.ok).toBe(false)
    expect(all.files.map((f) => [f.path, f.status])).toEqual([
      ['data.csv', 'unchanged'],
      ['notes.jsonl', 'missing'],
      ['extra.txt', 'added'],
    ])
  })

  it('fails on an edited manifest and on a manifest signed by another key', async () => {
    const dir = fresh()
    writeFileSync(join(dir, 'd.jsonl'), '{"a":1}\n')
    const { manifest, key: k } = await signDir(dir)
    const path = join(dir, '..', `m-${n++}.json`)
    await writeManifest(path, manifest)
    const back = await readManifest(path)
    expect((await verifyDir(dir, back, k)).ok).toBe(true)

    const edited: Manifest = { ...back, files: back.files.map((f) => ({ ...f, bytes: f.bytes + 1 })) }
    const r1 = await verifyDir(dir, edited, k)
    expect(r1.signature).toMatchObject({ valid: false, trusted: true })
    expect(r1.ok).toBe(false)

    const other = await signDir(dir)
    const r2 = await verifyDir(dir, other.manifest, k)
    expect(r2.signature).toMatchObject({ valid: false, trusted: false })
    expect(r2.ok).toBe(false)
  })

  it('generates the data-folder key once, mode 0600, and two first runs agree on it', async () => {
    const dataDir = join(fresh(), 'rampart-data')
    const [a, b] = await Promise.all([loadOrCreateDataDirKey(dataDir), loadOrCreateDataDirKey(dataDir)])
    expect(a.key.keyId).toBe(b.key.keyId)
    expect([a.created, b.created].filter(Boolean).length).toBeLessThanOrEqual(1)
    const file = join(dataDir, SIGNING_KEY_FILE_NAME)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect((await loadOrCreateDataDirKey(dataDir)).created).toBe(false)
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ format: 'rampart-signing-key', algorithm: 'Ed25519', key_id: a.key.keyId })
  })

  it('streams: the digest of a file does not depend on the read size', async () => {
    const dir = fresh()
    const p = join(dir, 'x.csv')
    writeFileSync(p, generatedCsv(500))
    appendFileSync(p, '\r\n\r\n')
    const big = await digestFile(p, 'csv')
    for (const chunkBytes of [1, 7, 64, 4096]) {
      const d = await digestFile(p, 'csv', { chunkBytes })
      expect([d.sha256, d.rows?.merkleRoot, d.rows?.count, d.rows?.prefixSha256]).toEqual([big.sha256, big.rows?.merkleRoot, big.rows?.count, big.rows?.prefixSha256])
      expect(Array.from(d.rows?.fingerprints ?? [])).toEqual(Array.from(big.rows?.fingerprints ?? []))
    }
  })
})
