import { charClasses, decodeJsonBase64Url, hasValidBase62Checksum, isPlaceholder } from './checks.js'

/**
 * Provider token formats. Each rule has cheap `hints` (literal substrings, one of which must
 * occur in the text before the regex runs) so a clean 2 KB prompt costs a few `indexOf` calls.
 */

/** Finding types of keys and tokens (everything but PASSWORD and PRIVATE_KEY). */
export const TOKEN_TYPES = [
  'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'GITHUB_TOKEN', 'GITLAB_TOKEN', 'SLACK_TOKEN', 'SLACK_WEBHOOK',
  'STRIPE_KEY', 'GOOGLE_API_KEY', 'OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'JWT', 'NPM_TOKEN', 'HUGGINGFACE_TOKEN',
  'SENDGRID_API_KEY', 'TWILIO_API_KEY', 'PROVIDER_TOKEN', 'BEARER_TOKEN', 'GENERIC_SECRET', 'HIGH_ENTROPY_TOKEN',
] as const

/** Every finding type the secrets scanner emits. */
export const SECRET_TYPES = [...TOKEN_TYPES, 'PASSWORD', 'PRIVATE_KEY'] as const
export type SecretType = (typeof SECRET_TYPES)[number]

export interface RuleHit {
  type: SecretType
  rule: string
  start: number
  end: number
  score: number
  detail?: Record<string, string | number | boolean>
  action?: 'flag'
}

export interface ProviderRule {
  type: SecretType
  /** Stable rule name, reported in `detail.rule`. */
  rule: string
  /** Literal substrings; the regex runs only when one occurs (case-sensitive unless `hintsLower`). */
  hints: readonly string[]
  hintsLower?: boolean
  /** Global regex; the secret is capture group 1 when present, else the whole match. */
  re: RegExp
  score: number
  /** Adjusts a hit (score, detail) or rejects it (returns undefined). */
  check?: (value: string, hit: RuleHit) => RuleHit | undefined
}

// Token boundaries: a key is not a slice of a longer run of token characters.
const B = '(?<![A-Za-z0-9_-])'
const E = '(?![A-Za-z0-9_-])'

const mixed = (value: string, hit: RuleHit): RuleHit | undefined => {
  const c = charClasses(value)
  return (c.lower || c.upper) && (c.digit || (c.lower && c.upper)) && !isPlaceholder(value) ? hit : undefined
}

const notPlaceholder = (value: string, hit: RuleHit): RuleHit | undefined => (isPlaceholder(value) ? undefined : hit)

const checksummed = (prefixLength: number) => (value: string, hit: RuleHit): RuleHit | undefined => {
  if (isPlaceholder(value)) return undefined
  const ok = hasValidBase62Checksum(value, prefixLength)
  return { ...hit, score: ok ? 0.99 : 0.7, detail: { ...hit.detail, checksum: ok } }
}

const p = (type: SecretType, rule: string, hints: readonly string[], source: string, score: number, check: ProviderRule['check'] = mixed, flags = 'g'): ProviderRule => ({
  type, rule, hints, re: new RegExp(source, flags), score, check,
})

export const PROVIDER_RULES: readonly ProviderRule[] = [
  {
    ...p('AWS_ACCESS_KEY_ID', 'aws-access-key-id', ['AKIA', 'ASIA', 'ABIA', 'ACCA'], '(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])', 0.95),
    // Current key ids are base32 (A-Z, 2-7); other digits only occur in legacy or made-up ids.
    check: (value, hit) => (isPlaceholder(value) ? undefined : /^[A-Z2-7]+$/.test(value.slice(4)) ? hit : { ...hit, score: 0.85 }),
  },
  {
    type: 'AWS_SECRET_ACCESS_KEY', rule: 'aws-secret-access-key', hints: ['aws', 'secret_access', 'secretaccess', 'secret-access', 'secret access'], hintsLower: true,
    re: /(?:aws[a-z0-9_ .-]{0,24}(?:secret|sk|key)|secret[_ -]?access[_ -]?key)[a-z0-9_ .-]{0,16}["']?\s*(?:=>|:=|[:=])\s*["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/gi,
    score: 0.95, check: mixed,
  },
  p('GITHUB_TOKEN', 'github-classic-token', ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'], `${B}gh[pousr]_[A-Za-z0-9]{36}${E}`, 0.99, checksummed(4)),
  p('GITHUB_TOKEN', 'github-fine-grained-pat', ['github_pat_'], `${B}github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}${E}`, 0.99),
  p('GITHUB_TOKEN', 'github-pat-other', ['github_pat_'], `${B}github_pat_[A-Za-z0-9_]{30,255}${E}`, 0.85),
  p('GITLAB_TOKEN', 'gitlab-token', ['gl'], `${B}(?:glpat|gldt|glrt|glcbt|glptt|glft|glimt|glagent|glsoat|gloas|glffct|glwt)-[A-Za-z0-9_-]{20,255}${E}`, 0.95),
  p('GITLAB_TOKEN', 'gitlab-runner-registration', ['GR1348941'], `${B}GR1348941[A-Za-z0-9_-]{20,}${E}`, 0.95),
  p('SLACK_TOKEN', 'slack-token', ['xox'], `${B}xox[abposre]-(?:\\d+-)?[A-Za-z0-9-]{10,250}${E}`, 0.95),
  p('SLACK_TOKEN', 'slack-app-token', ['xapp-'], `${B}xapp-\\d-[A-Z0-9]+-\\d+-[A-Za-z0-9]+${E}`, 0.95),
  p('SLACK_WEBHOOK', 'slack-webhook', ['hooks.slack.com'], 'https?://hooks\\.slack\\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/-]{20,}', 0.95, notPlaceholder),
  p('STRIPE_KEY', 'stripe-secret-key', ['_live_', '_test_'], `${B}(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,247}${E}`, 0.95),
  {
    ...p('STRIPE_KEY', 'stripe-publishable-key', ['pk_live_', 'pk_test_'], `${B}pk_(?:live|test)_[A-Za-z0-9]{16,247}${E}`, 0.6),
    // Publishable keys are meant for browsers: worth a flag, not a block.
    check: (value, hit) => (mixed(value, hit) ? { ...hit, action: 'flag', detail: { ...hit.detail, public: true } } : undefined),
  },
  p('STRIPE_KEY', 'stripe-webhook-secret', ['whsec_'], `${B}whsec_[A-Za-z0-9]{24,}${E}`, 0.9),
  p('GOOGLE_API_KEY', 'google-api-key', ['AIza'], `${B}AIza[0-9A-Za-z_-]{35}${E}`, 0.95, notPlaceholder),
  p('PROVIDER_TOKEN', 'google-oauth-client-secret', ['GOCSPX-'], `${B}GOCSPX-[A-Za-z0-9_-]{28}${E}`, 0.95),
  p('PROVIDER_TOKEN', 'google-oauth-access-token', ['ya29.'], `${B}ya29\\.[0-9A-Za-z_-]{30,}${E}`, 0.9),
  p('ANTHROPIC_API_KEY', 'anthropic-api-key', ['sk-ant-'], `${B}sk-ant-(?:api|admin|sid|oat)\\d\\d-[A-Za-z0-9_-]{20,}${E}`, 0.98),
  p('ANTHROPIC_API_KEY', 'anthropic-api-key-other', ['sk-ant-'], `${B}sk-ant-[A-Za-z0-9_-]{20,}${E}`, 0.85),
  p('PROVIDER_TOKEN', 'openrouter-api-key', ['sk-or-'], `${B}sk-or-v\\d-[a-f0-9]{32,}${E}`, 0.95),
  p('OPENAI_API_KEY', 'openai-project-key', ['sk-'], `${B}sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}${E}`, 0.97),
  p('OPENAI_API_KEY', 'openai-legacy-key', ['T3BlbkFJ'], `${B}sk-[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}${E}`, 0.99),
  p('OPENAI_API_KEY', 'openai-style-key', ['sk-'], `${B}sk-(?!ant-|or-v\\d-)[A-Za-z0-9]{32,}${E}`, 0.8),
  {
    type: 'JWT', rule: 'jwt', hints: ['eyJ'],
    re: new RegExp(`${B}eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]*${E}`, 'g'), score: 0.95,
    check: (value, hit) => {
      const header = decodeJsonBase64Url(value.slice(0, value.indexOf('.')))
      if (typeof header !== 'object' || header === null || !('alg' in header)) return undefined
      const alg = (header as { alg: unknown }).alg
      // An unsigned token (alg none, empty signature) carries claims but no key material.
      return alg === 'none' || value.endsWith('.') ? { ...hit, score: 0.7, detail: { ...hit.detail, unsigned: true } } : hit
    },
  },
  p('NPM_TOKEN', 'npm-token', ['npm_'], `${B}npm_[A-Za-z0-9]{36}${E}`, 0.99, checksummed(4)),
  p('HUGGINGFACE_TOKEN', 'huggingface-token', ['hf_'], `${B}hf_[A-Za-z0-9]{30,40}${E}`, 0.9),
  p('SENDGRID_API_KEY', 'sendgrid-api-key', ['SG.'], `${B}SG\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}${E}`, 0.98),
  p('TWILIO_API_KEY', 'twilio-api-key', ['SK'], `${B}SK[0-9a-fA-F]{32}${E}`, 0.8),
  p('PROVIDER_TOKEN', 'docker-pat', ['dckr_pat_'], `${B}dckr_pat_[A-Za-z0-9_-]{27,}${E}`, 0.95),
  p('PROVIDER_TOKEN', 'pypi-token', ['pypi-'], `${B}pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}${E}`, 0.98),
  p('PROVIDER_TOKEN', 'digitalocean-token', ['_v1_'], `${B}do[opr]_v1_[a-f0-9]{64}${E}`, 0.95),
  p('PROVIDER_TOKEN', 'doppler-token', ['dp.'], `${B}dp\\.(?:pt|st|sa|ct|scim|audit)\\.[A-Za-z0-9]{40,44}${E}`, 0.95),
  p('PROVIDER_TOKEN', 'shopify-token', ['shp'], `${B}shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}${E}`, 0.95),
  p('PROVIDER_TOKEN', 'square-token', ['sq0'], `${B}sq0(?:atp|csp)-[0-9A-Za-z_-]{22,43}${E}`, 0.95),
  p('PROVIDER_TOKEN', 'square-access-token', ['EAAA'], `${B}EAAA[A-Za-z0-9_-]{60}${E}`, 0.85),
  p('PROVIDER_TOKEN', 'facebook-access-token', ['EAA'], `${B}EAA[BC][A-Za-z0-9]{60,}${E}`, 0.8),
  p('PROVIDER_TOKEN', 'postman-api-key', ['PMAK-'], `${B}PMAK-[a-f0-9]{24}-[a-f0-9]{34}${E}`, 0.95),
  p('PROVIDER_TOKEN', 'linear-api-key', ['lin_api_'], `${B}lin_api_[A-Za-z0-9]{40}${E}`, 0.95),
  p('PROVIDER_TOKEN', 'newrelic-key', ['NR'], `${B}NR(?:AK|II|JS|BR|AA|IQ)-[A-Za-z0-9]{19,32}${E}`, 0.9),
  p('PROVIDER_TOKEN', 'perplexity-api-key', ['pplx-'], `${B}pplx-[A-Za-z0-9]{40,}${E}`, 0.95),
  p('PROVIDER_TOKEN', 'groq-api-key', ['gsk_'], `${B}gsk_[A-Za-z0-9]{48,}${E}`, 0.95),
  p('PROVIDER_TOKEN', 'xai-api-key', ['xai-'], `${B}xai-[A-Za-z0-9]{60,}${E}`, 0.9),
  p('PROVIDER_TOKEN', 'together-api-key', ['tgp_v1_'], `${B}tgp_v1_[A-Za-z0-9_-]{40,}${E}`, 0.95),
  p('PROVIDER_TOKEN', 'posthog-key', ['phc_', 'phx_', 'phr_', 'pha_'], `${B}ph[cxra]_[A-Za-z0-9]{40,}${E}`, 0.85),
  p('PROVIDER_TOKEN', 'atlassian-token', ['ATATT3', 'ATCTT3'], `${B}AT[AC]TT3[A-Za-z0-9_=-]{100,}${E}`, 0.95),
  // Bitbucket calls these app passwords: they stand in for the account password.
  p('PASSWORD', 'bitbucket-app-password', ['ATBB'], `${B}ATBB[A-Za-z0-9]{32}${E}`, 0.9),
  p('PROVIDER_TOKEN', 'figma-token', ['figd_'], `${B}figd_[A-Za-z0-9_-]{40}${E}`, 0.95),
  p('PROVIDER_TOKEN', 'netlify-token', ['nfp_'], `${B}nfp_[A-Za-z0-9]{36}${E}`, 0.9),
  p('PROVIDER_TOKEN', 'sentry-token', ['sntr'], `${B}sntr[ysu]_[A-Za-z0-9_=+/-]{40,}${E}`, 0.95),
  p('PROVIDER_TOKEN', 'grafana-service-account-token', ['glsa_'], `${B}glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}${E}`, 0.95),
  p('PROVIDER_TOKEN', 'grafana-token', ['glc_'], `${B}glc_[A-Za-z0-9+/]{32,}={0,2}${E}`, 0.9),
  p('PROVIDER_TOKEN', 'rubygems-key', ['rubygems_'], `${B}rubygems_[a-f0-9]{48}${E}`, 0.95),
  p('PROVIDER_TOKEN', 'planetscale-token', ['pscale_'], `${B}pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_.-]{32,64}${E}`, 0.95),
  p('PROVIDER_TOKEN', 'hashicorp-token', ['.atlasv1.'], `${B}[A-Za-z0-9]{14}\\.atlasv1\\.[A-Za-z0-9_=-]{60,}${E}`, 0.95),
  p('PROVIDER_TOKEN', 'vault-token', ['hvs.', 'hvb.'], `${B}hv[sb]\\.[A-Za-z0-9_-]{24,}${E}`, 0.9),
  p('PROVIDER_TOKEN', 'databricks-token', ['dapi'], `${B}dapi[a-f0-9]{32}(?:-\\d)?${E}`, 0.85),
  p('PROVIDER_TOKEN', 'heroku-token', ['HRKU-'], `${B}HRKU-[A-Za-z0-9_-]{60}${E}`, 0.95),
  p('PROVIDER_TOKEN', 'cloudflare-token', ['cfat_', 'cfut_', 'cfk_'], `${B}cf(?:at|ut|k)_[A-Za-z0-9]{40,}${E}`, 0.9),
  p('PROVIDER_TOKEN', 'azure-storage-key', ['AccountKey='], 'AccountKey=([A-Za-z0-9+/]{86}==)', 0.95),
  p('PROVIDER_TOKEN', 'discord-bot-token', ['.'], `${B}[MN][A-Za-z0-9]{23,25}\\.[A-Za-z0-9_-]{6}\\.[A-Za-z0-9_-]{27,38}${E}`, 0.8),
  p('PROVIDER_TOKEN', 'akamai-client-token', ['akab-'], `${B}akab-[a-z0-9]{16}-[a-z0-9]{16}${E}`, 0.9),
  p('PROVIDER_TOKEN', 'brevo-api-key', ['xkeysib-', 'xsmtpsib-'], `${B}x(?:keysib|smtpsib)-[a-f0-9]{64}-[A-Za-z0-9]{16}${E}`, 0.98),
  p('PROVIDER_TOKEN', 'llamacloud-api-key', ['llx-'], `${B}llx-[A-Za-z0-9]{40,}${E}`, 0.9),
  p('PROVIDER_TOKEN', 'mailgun-api-key', ['key-'], `${B}key-[a-f0-9]{32}${E}`, 0.75),
  p('PROVIDER_TOKEN', 'sonarqube-token', ['sq'], `${B}sq[upa]_[a-f0-9]{40}${E}`, 0.9),
  p('PROVIDER_TOKEN', 'supabase-token', ['sbp_'], `${B}sbp_(?:v0_)?[a-f0-9]{40}${E}`, 0.95),
  p('PROVIDER_TOKEN', 'jfrog-api-key', ['AKCp'], `${B}AKCp[A-Za-z0-9]{69}${E}`, 0.9),
  p('PROVIDER_TOKEN', 'jfrog-reference-token', ['cmVmdGtu'], `${B}cmVmdGtu[A-Za-z0-9+/]{40,}={0,2}(?![A-Za-z0-9+/=])`, 0.9),
  p('PROVIDER_TOKEN', 'aws-bedrock-api-key', ['bedrock-api-key-'], `${B}bedrock-api-key-[A-Za-z0-9+/=]{20,}${E}`, 0.95),
  p('PROVIDER_TOKEN', 'amazon-mws-key', ['amzn.mws.'], `${B}amzn\\.mws\\.[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}${E}`, 0.95, notPlaceholder),
  p('PROVIDER_TOKEN', 'instagram-access-token', ['IGQV'], `${B}IGQV[A-Za-z0-9_-]{100,}${E}`, 0.85),
  p('PROVIDER_TOKEN', 'google-oauth-refresh-token', ['1//0'], `(?<![A-Za-z0-9_/-])1//0[A-Za-z0-9_-]{40,}${E}`, 0.9),
  p('PRIVATE_KEY', 'nats-nkey-seed', ['S'], `${B}S[UANOCPX][A-Z2-7]{56}${E}`, 0.85, notPlaceholder),
  // Unarmoured DER private keys in base64: PKCS#1 RSA (…IBAAJ/K) and PKCS#8 (…IBADAN) headers.
  p('PRIVATE_KEY', 'der-private-key', ['MII'], 'MII[A-Za-z0-9+/]{3}IBA(?:A[JK]|DAN)[A-Za-z0-9+/=]*(?:(?:\\\\n|\\r?\\n)[ \\t]*[A-Za-z0-9+/=]{8,})*', 0.9, notPlaceholder),
  p('PRIVATE_KEY', 'age-secret-key', ['AGE-SECRET-KEY-1'], `${B}AGE-SECRET-KEY-1[0-9A-Z]{58}${E}`, 0.99),
]
