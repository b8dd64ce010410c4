/**
 * Key providers hold master keys; they only ever wrap and unwrap data keys (envelope
 * encryption), so the master key never touches bulk data and can live in a KMS.
 */

export interface WrappedKey {
  /** Provider-specific ciphertext of the data key, base64. */
  wrapped: string
  /** Which master key (and version) wrapped it, so unwrapping picks the right one after rotation. */
  masterKeyId: string
}

export interface KeyProvider {
  /** `local`, `aws-kms`. */
  readonly id: string
  /** The master key id new data keys are wrapped with. */
  currentMasterKeyId(): Promise<string>
  wrap(dataKey: Buffer): Promise<WrappedKey>
  unwrap(key: WrappedKey): Promise<Buffer>
  /**
   * Makes a new master key current (local keyring: a new version; KMS: a new key id given by
   * the operator). Old master keys stay available for unwrapping.
   */
  rotate?(): Promise<string>
  /**
   * The 256-bit key that MACs the audit chain, when the provider keeps one itself (the local
   * keyring does). Providers without it get one wrapped in the data-key store (`loadAuditKey`).
   */
  auditKey?(): Promise<Buffer>
}
