/** Inline SVG icons (no icon font, nothing fetched). Decorative unless given a label. */
interface IconProps {
  label?: string
  class?: string
}

const a11y = (label?: string) => (label === undefined ? { 'aria-hidden': true as const } : { role: 'img' as const, 'aria-label': label })

export function WarningIcon({ label, class: cls }: IconProps) {
  return (
    <svg class={`icon ${cls ?? ''}`} viewBox="0 0 24 24" width="20" height="20" {...a11y(label)}>
      {label === undefined ? null : <title>{label}</title>}
      <path d="M12 2.5 1.5 21h21L12 2.5z" fill="currentColor" />
      <path d="M11 9h2v6h-2zM11 16.5h2v2h-2z" fill="#0b1220" />
    </svg>
  )
}

export function ShieldIcon({ label, class: cls }: IconProps) {
  return (
    <svg class={`icon ${cls ?? ''}`} viewBox="0 0 32 32" width="28" height="28" {...a11y(label)}>
      <path d="M16 2 4 7v8c0 7.5 5.1 13.4 12 15 6.9-1.6 12-7.5 12-15V7z" fill="#38bdf8" />
      <path d="m10.5 16 4 4 7-8" stroke="#0b1220" stroke-width="2.6" fill="none" stroke-linecap="round" stroke-linejoin="round" />
    </svg>
  )
}

export function CheckIcon({ label, class: cls }: IconProps) {
  return (
    <svg class={`icon ${cls ?? ''}`} viewBox="0 0 24 24" width="18" height="18" {...a11y(label)}>
      <circle cx="12" cy="12" r="10" fill="currentColor" />
      <path d="m7.5 12.5 3 3 6-7" stroke="#0b1220" stroke-width="2.4" fill="none" stroke-linecap="round" stroke-linejoin="round" />
    </svg>
  )
}

export function CrossIcon({ label, class: cls }: IconProps) {
  return (
    <svg class={`icon ${cls ?? ''}`} viewBox="0 0 24 24" width="18" height="18" {...a11y(label)}>
      <circle cx="12" cy="12" r="10" fill="currentColor" />
      <path d="m8 8 8 8M16 8l-8 8" stroke="#0b1220" stroke-width="2.4" stroke-linecap="round" />
    </svg>
  )
}

export function NavIcon({ name }: { name: 'overview' | 'alerts' | 'monitor' | 'policies' | 'keys' | 'audit' }) {
  const paths: Record<typeof name, string> = {
    overview: 'M3 13h4v8H3zM10 8h4v13h-4zM17 3h4v18h-4z',
    alerts: 'M12 2.5 1.5 21h21L12 2.5zm-1 6.5v6h2V9zm0 7.5v2h2v-2z',
    monitor: 'M2 12h4l3-7 4 14 3-7h6v2h-4.7L13 23 9 9.5 7.3 14H2z',
    policies: 'M5 2h10l5 5v15H5zm9 1.5V8h4.5zM8 12h9v1.6H8zm0 4h9v1.6H8z',
    keys: 'M14 3a7 7 0 0 0-6.7 9L2 17.3V22h4.7v-2.5h2.5V17h2.5l1.6-1.6A7 7 0 1 0 14 3zm2.5 4.5a1.8 1.8 0 1 1 0 3.6 1.8 1.8 0 0 1 0-3.6z',
    audit: 'M4 3h16v2H4zm0 4h16v2H4zm0 4h10v2H4zm12.5 1 1.9 1.9 3.1-3.4 1.5 1.3-4.5 5-3.4-3.4zM4 15h10v2H4zm0 4h10v2H4z',
  }
  return (
    <svg class="icon nav-icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
      <path d={paths[name]} fill="currentColor" fill-rule="evenodd" />
    </svg>
  )
}
