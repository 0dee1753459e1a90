// Samples a string matching a JSON Schema `pattern`, for the schema answerer. Covers the everyday subset
// (literals, classes, \d \w \s, groups, alternation, quantifiers, anchors); anything else — lookarounds,
// backreferences — gives `undefined` and the caller falls back to a plain string.
import { randomInt } from './seeded-random.js';

/** Largest number of repetitions `*`, `+` and `{n,}` produce beyond their minimum. */
const EXTRA_REPEATS = 3;
const PRINTABLE = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i));
const DIGITS = '0123456789';
const WORD = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_';
const SPACE = ' ';

class Unsupported extends Error {}

/** A string the pattern matches (checked with the same `RegExp` ajv uses), or `undefined` if none was found. */
export function stringFromPattern(pattern: string, random: () => number): string | undefined {
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, 'u');
  } catch {
    return undefined;
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const sampler = new PatternSampler(pattern, random);
      const sample = sampler.sample();
      if (regex.test(sample)) return sample;
    } catch (error) {
      if (error instanceof Unsupported) return undefined;
      throw error;
    }
  }
  return undefined;
}

/** A recursive-descent walk over the pattern that writes one matching string as it goes. */
class PatternSampler {
  private position = 0;

  constructor(
    private readonly pattern: string,
    private readonly random: () => number,
  ) {}

  sample(): string {
    const out = this.alternation();
    if (this.position < this.pattern.length) throw new Unsupported();
    return out;
  }

  private alternation(): string {
    const branches = [this.sequence()];
    while (this.peek() === '|') {
      this.position++;
      branches.push(this.sequence());
    }
    return branches[randomInt(this.random, 0, branches.length - 1)] ?? '';
  }

  private sequence(): string {
    let out = '';
    while (this.position < this.pattern.length && this.peek() !== '|' && this.peek() !== ')') {
      const start = this.position;
      const first = this.atom();
      const atomEnd = this.position;
      const [min, max] = this.quantifier();
      if (min === 1 && max === 1) {
        out += first;
        continue;
      }
      // Each repetition samples the atom afresh: `[a-z]{3}` should not always give 'aaa'.
      const count = randomInt(this.random, min, max);
      for (let i = 0; i < count; i++) {
        if (i === 0) out += first;
        else {
          this.position = start;
          out += this.atom();
        }
      }
      this.position = atomEnd;
      this.quantifier();
    }
    return out;
  }

  private atom(): string {
    const char = this.next();
    switch (char) {
      case '^':
      case '$':
        return '';
      case '.':
        return this.pick(WORD);
      case '(':
        return this.group();
      case '[':
        return this.characterClass();
      case '\\':
        return this.escape(false);
      case '*':
      case '+':
      case '?':
      case '{':
        throw new Unsupported();
      default:
        return char;
    }
  }

  private group(): string {
    if (this.peek() === '?') {
      if (this.pattern.startsWith('?:', this.position)) this.position += 2;
      else throw new Unsupported(); // lookarounds and named groups
    }
    const out = this.alternation();
    if (this.next() !== ')') throw new Unsupported();
    return out;
  }

  private quantifier(): [number, number] {
    const char = this.peek();
    let bounds: [number, number];
    if (char === '*') bounds = [0, EXTRA_REPEATS];
    else if (char === '+') bounds = [1, 1 + EXTRA_REPEATS];
    else if (char === '?') bounds = [0, 1];
    else if (char === '{') {
      const match = /^\{(\d+)(,(\d*))?\}/.exec(this.pattern.slice(this.position));
      if (!match) return [1, 1]; // a literal '{', as JavaScript reads it outside unicode mode
      const min = Number(match[1]);
      const max = match[2] === undefined ? min : match[3] ? Number(match[3]) : min + EXTRA_REPEATS;
      this.position += match[0].length - 1;
      bounds = [min, max];
    } else return [1, 1];
    this.position++;
    if (this.peek() === '?') this.position++; // lazy quantifiers match the same strings
    return bounds;
  }

  private characterClass(): string {
    const negated = this.peek() === '^';
    if (negated) this.position++;
    const members: string[] = [];
    while (this.peek() !== ']') {
      if (this.position >= this.pattern.length) throw new Unsupported();
      const char = this.next();
      const low = char === '\\' ? this.escape(true) : char;
      if (this.peek() === '-' && this.pattern[this.position + 1] !== ']' && low.length === 1) {
        this.position++;
        const highChar = this.next();
        const high = highChar === '\\' ? this.escape(true) : highChar;
        for (let code = low.charCodeAt(0); code <= high.charCodeAt(0) && code < low.charCodeAt(0) + 512; code++) {
          members.push(String.fromCharCode(code));
        }
      } else members.push(...low);
    }
    this.position++; // ']'
    if (!negated) {
      if (members.length === 0) throw new Unsupported();
      return this.pick(members);
    }
    const excluded = new Set(members);
    return this.pick(PRINTABLE.filter((candidate) => !excluded.has(candidate)));
  }

  /** After a backslash. Inside a class, a shorthand returns all its members (the class picks among them). */
  private escape(inClass: boolean): string {
    const char = this.next();
    const members = { d: DIGITS, w: WORD, s: SPACE }[char as 'd' | 'w' | 's'];
    if (members !== undefined) return inClass ? members : this.pick(members);
    const excluded = { D: DIGITS, W: WORD, S: SPACE }[char as 'D' | 'W' | 'S'];
    if (excluded !== undefined) {
      const allowed = PRINTABLE.filter((candidate) => !excluded.includes(candidate));
      return inClass ? allowed.join('') : this.pick(allowed);
    }
    if (char === 'n') return '\n';
    if (char === 't') return '\t';
    if (char === 'u' && this.peek() === '{') {
      const end = this.pattern.indexOf('}', this.position);
      const code = Number.parseInt(this.pattern.slice(this.position + 1, end), 16);
      this.position = end + 1;
      return String.fromCodePoint(code);
    }
    if (char === 'u' || char === 'x') {
      const width = char === 'u' ? 4 : 2;
      const code = Number.parseInt(this.pattern.slice(this.position, this.position + width), 16);
      this.position += width;
      return String.fromCharCode(code);
    }
    if (char === 'b' || char === 'B') {
      if (inClass) return '\b';
      throw new Unsupported(); // word boundaries depend on the neighbours
    }
    if (/[0-9kpP]/.test(char)) throw new Unsupported(); // backreferences, named references, properties
    return char;
  }

  private pick(members: string | readonly string[]): string {
    if (members.length === 0) throw new Unsupported();
    return members[randomInt(this.random, 0, members.length - 1)] ?? '';
  }

  private peek(): string | undefined {
    return this.pattern[this.position];
  }

  private next(): string {
    const char = this.pattern[this.position];
    if (char === undefined) throw new Unsupported();
    this.position++;
    return char;
  }
}
