import nlp from 'compromise'

/** Word classes read from compromise's English lexicon (lower-cased keys). */
export interface NameLexicon {
  firstNames: ReadonlySet<string>
  lastNames: ReadonlySet<string>
  /** Cities, countries, regions and other places, single- and multi-word. */
  places: ReadonlySet<string>
  organizations: ReadonlySet<string>
  honorifics: ReadonlySet<string>
  /** Demonyms (nationalities) and calendar words: capitalized, but never a person or a place. */
  notEntities: ReadonlySet<string>
  /** Every other word compromise knows (verbs, adjectives, common nouns, …). */
  common: ReadonlySet<string>
  /** Generic place words (`river`, `county`, …) and organization words (`bank`, `university`, …). */
  placeWords: ReadonlySet<string>
  orgWords: ReadonlySet<string>
  /** Each known word's class, in priority order first > last > place > org > not > common. */
  classOf: ReadonlyMap<string, WordClass>
}

export type WordClass = 'first' | 'last' | 'place' | 'org' | 'not' | 'common' | 'unknown'


let cached: NameLexicon | undefined

const NOT_ENTITY_TAGS = new Set(['Demonym', 'Month', 'WeekDay', 'Date', 'Currency', 'Unit'])
const ENTITY_TAGS = new Set(['FirstName', 'MaleName', 'FemaleName', 'Person', 'LastName', 'City', 'Country', 'Region', 'Place', 'Organization', 'SportsTeam', 'Honorific', ...NOT_ENTITY_TAGS])

/**
 * Builds the lexicon once per process from compromise's model: its tagged word list is the
 * same knowledge its `people()` / `places()` matchers use, read here into hash sets so that a
 * scan costs one map look-up per capitalized token instead of a full NLP parse.
 */
export function nameLexicon(): NameLexicon {
  if (cached) return cached
  const model = (nlp as unknown as { model(): { one: { lexicon: Record<string, string | string[]> }; two: { placeWords?: Record<string, unknown>; orgWords?: Record<string, unknown> } } }).model()
  const firstNames = new Set<string>()
  const lastNames = new Set<string>()
  const places = new Set<string>()
  const organizations = new Set<string>()
  const honorifics = new Set<string>()
  const notEntities = new Set<string>()
  const common = new Set<string>()
  for (const [word, raw] of Object.entries(model.one.lexicon)) {
    const tags = Array.isArray(raw) ? raw : [raw]
    for (const tag of tags) {
      if (tag === 'FirstName' || tag === 'MaleName' || tag === 'FemaleName' || tag === 'Person') firstNames.add(word)
      else if (tag === 'LastName') lastNames.add(word)
      else if (tag === 'City' || tag === 'Country' || tag === 'Region' || tag === 'Place') places.add(word)
      else if (tag === 'Organization' || tag === 'SportsTeam') organizations.add(word)
      else if (tag === 'Honorific') honorifics.add(word)
      else if (NOT_ENTITY_TAGS.has(tag)) notEntities.add(word)
    }
    const placed = tags.some((t) => ENTITY_TAGS.has(t))
    // Bare proper nouns ("fairview", "hudson") are names of something: not common words.
    if (!placed && !tags.includes('ProperNoun')) common.add(word)
  }
  const classOf = new Map<string, WordClass>()
  for (const [set, cls] of [[common, 'common'], [notEntities, 'not'], [honorifics, 'not'], [organizations, 'org'], [places, 'place'], [lastNames, 'last'], [firstNames, 'first']] as const) {
    for (const w of set) classOf.set(w, cls)
  }
  cached = {
    classOf,
    firstNames,
    lastNames,
    places,
    organizations,
    honorifics,
    notEntities,
    common,
    placeWords: new Set(Object.keys(model.two.placeWords ?? {})),
    orgWords: new Set(Object.keys(model.two.orgWords ?? {})),
  }
  return cached
}
