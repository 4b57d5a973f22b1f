/** Text shown to people: no control characters, lone surrogates or bidirectional overrides that make it read as something else. */
export const PLAIN_TEXT = '^[^\\p{Cc}\\p{Cs}\\u202A-\\u202E\\u2066-\\u2069]*$';
