/**
 * Built-in English profanity list, by severity. Base forms only: plurals and verb endings
 * (-s, -es, -ed, -er, -ers, -ing, -in) are matched by the scanner, so `fucking` and `bitches`
 * need no entry; compounds that are words of their own (`bullshit`, `dumbass`) are listed.
 * Multi-word entries match across spaces and punctuation and also written as one word.
 *
 * Severity sets the score: slur 0.95, strong 0.8, mild 0.6.
 */

export type Severity = 'slur' | 'strong' | 'mild'

export const PROFANITY_EN: Readonly<Record<Severity, readonly string[]>> = {
  slur: [
    'nigger', 'nigga', 'niggah', 'chink', 'gook', 'spic', 'spick', 'wetback', 'beaner', 'kike', 'raghead',
    'towelhead', 'sandnigger', 'camel jockey', 'coon', 'jigaboo', 'porch monkey', 'jungle bunny', 'zipperhead',
    'slant eye', 'wop', 'dago', 'gyppo', 'pikey', 'paki', 'golliwog', 'redskin', 'injun', 'squaw', 'halfbreed',
    'faggot', 'fag', 'faggy', 'dyke', 'tranny', 'shemale', 'ladyboy', 'retard', 'retarded', 'spaz', 'mongoloid',
  ],
  strong: [
    'fuck', 'fucker', 'fuckface', 'fuckhead', 'fuckwit', 'fuckboy', 'fucktard', 'fuckup', 'motherfucker', 'motherfucking',
    'mofo', 'clusterfuck', 'mindfuck', 'dumbfuck', 'fuckoff', 'fuck off', 'fuck you',
    'shit', 'shite', 'shithead', 'shitface', 'shitty', 'shitstain', 'shitshow', 'shitload', 'shithole', 'bullshit',
    'horseshit', 'dipshit', 'batshit', 'apeshit', 'chickenshit',
    'cunt', 'cunty', 'twat', 'cock', 'cocksucker', 'cockhead', 'dick', 'dickhead', 'dickwad', 'dickface', 'pussy',
    'asshole', 'arsehole', 'asshat', 'assclown', 'asswipe', 'jackass', 'dumbass', 'smartass', 'fatass', 'kickass',
    'bitch', 'bitchy', 'son of a bitch', 'sonofabitch', 'bastard', 'whore', 'slut', 'slutty', 'skank', 'thot',
    'wanker', 'wank', 'jerkoff', 'jerk off', 'tosser', 'bellend', 'knobhead', 'bollocks', 'prick', 'douchebag',
    'douche', 'goddamn', 'goddam', 'godamn', 'jizz', 'cumshot', 'blowjob', 'handjob', 'rimjob', 'dildo',
    'titties', 'titty', 'tits', 'nutsack', 'ballsack', 'butthole', 'buttfuck', 'cuck', 'cuckold', 'numbnuts',
    'piss off', 'pissed off', 'scumbag', 'twatwaffle', 'cockwomble',
  ],
  mild: [
    'ass', 'arse', 'badass', 'crap', 'crappy', 'damn', 'dammit', 'damnit', 'hell', 'piss', 'pissy', 'bugger',
    'frigging', 'friggin', 'effing', 'feck', 'boobs', 'boob', 'boner', 'turd', 'suck my', 'screw you',
    'bullcrap', 'buttface', 'jackoff', 'minger', 'pillock', 'sod off', 'bint', 'schmuck', 'putz', 'douchey', 'wtf',
    'omfg', 'stfu', 'gtfo',
  ],
}

/**
 * Entries that are also ordinary words or names (a dog, a rooster, a cat, Moby Dick, a
 * surname): their score drops when written like a proper noun mid-sentence, and only the
 * plural `-s` is matched (`cocked`, `pricked`, `retarded` are ordinary verbs).
 */
export const AMBIGUOUS_EN: ReadonlySet<string> = new Set([
  'dick', 'cock', 'pussy', 'bitch', 'ass', 'hell', 'damn', 'bugger', 'prick', 'coon', 'dyke', 'fag', 'spic', 'paki',
  'retard', 'retarded', 'wop', 'dago', 'squaw', 'putz', 'crap', 'piss', 'twat', 'bastard', 'injun', 'redskin',
  'boner', 'douche', 'spaz', 'slant eye',
])
