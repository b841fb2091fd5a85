/**
 * The event ids one run has seen, for duplicate counting. CloudTrail's `eventID` and CTS's `trace_id` are
 * nearly always canonical UUIDs (36 characters, lowercase hex with dashes at 8, 13, 18 and 23): those are
 * kept as 128-bit keys in an open-addressed table, read from a string or straight from a record's bytes,
 * so a replay of millions of records builds no id string for the records it skips and no Set entry for
 * any of them. Every other id is kept in a Set by its string. The mapping from canonical UUID text to key
 * is one-to-one and the two stores never hold the same text, so membership is exactly string identity.
 */

/** Hex digit value of a byte, or -1: lowercase only, so one key has one text. */
const NIBBLE = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) NIBBLE[0x30 + c] = c;
for (let c = 0; c < 6; c++) NIBBLE[0x61 + c] = 10 + c;

/** The 32 hex positions of a canonical UUID's text, 8 per 32-bit word. */
const HEX_AT = Uint8Array.from([...Array(36).keys()].filter((i) => i !== 8 && i !== 13 && i !== 18 && i !== 23));
const UUID_LENGTH = 36;
const DASH = 0x2d;
/** Small: a Lambda or FunctionGraph invocation makes one set for its few records; replays grow it. */
const INITIAL_SLOTS = 1 << 8;
/** An EventIdList's first room, taken at its first id (most runs record no outcome). */
const INITIAL_IDS = 1024;

export class EventIdSet {
  /** Four 32-bit words per slot; `used` says which slots hold a key (an all-zero UUID is a key too). */
  private keys = new Int32Array(INITIAL_SLOTS * 4);
  private used = new Uint8Array(INITIAL_SLOTS);
  private mask = INITIAL_SLOTS - 1;
  private keyCount = 0;
  private readonly others = new Set<string>();
  /** The key being looked up. */
  private readonly word = new Int32Array(4);
  /** Per-process, so ids chosen to collide in one process's table do not collide in another's. */
  private readonly seed = (Math.random() * 0x100000000) | 0;

  get size(): number {
    return this.keyCount + this.others.size;
  }

  /** Adds `id`: true when it was not there yet. */
  add(id: string): boolean {
    if (id.length === UUID_LENGTH && keyOfText(id, this.word, 0)) return this.addKey();
    return addNew(this.others, id);
  }

  /** add() of the UTF-8 text `data[start, end)` (a JSON string's bytes with no escape in it). */
  addBytes(data: Buffer, start: number, end: number): boolean {
    if (end - start === UUID_LENGTH && keyOfBytes(data, start, this.word, 0)) return this.addKey();
    return addNew(this.others, data.toString('utf8', start, end));
  }

  /** add() of an id packed by EventIdList (its four words at `words[at]`). */
  addWords(words: Int32Array, at: number): boolean {
    const word = this.word;
    word[0] = words[at];
    word[1] = words[at + 1];
    word[2] = words[at + 2];
    word[3] = words[at + 3];
    return this.addKey();
  }

  /** Adds the key in `word`: true when it was not there yet. */
  private addKey(): boolean {
    const word = this.word;
    const w0 = word[0];
    const w1 = word[1];
    const w2 = word[2];
    const w3 = word[3];
    const keys = this.keys;
    const used = this.used;
    let slot = hashOf(w0, w1, w2, w3, this.seed) & this.mask;
    while (used[slot] === 1) {
      const at = slot * 4;
      if (keys[at] === w0 && keys[at + 1] === w1 && keys[at + 2] === w2 && keys[at + 3] === w3) return false;
      slot = (slot + 1) & this.mask;
    }
    used[slot] = 1;
    const to = slot * 4;
    keys[to] = w0;
    keys[to + 1] = w1;
    keys[to + 2] = w2;
    keys[to + 3] = w3;
    this.keyCount += 1;
    // At most half full, so probes stay short.
    if (this.keyCount * 2 > used.length) this.grow();
    return true;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldUsed = this.used;
    const slots = oldUsed.length * 2;
    const keys = new Int32Array(slots * 4);
    const used = new Uint8Array(slots);
    const mask = slots - 1;
    for (let old = 0; old < oldUsed.length; old++) {
      if (oldUsed[old] !== 1) continue;
      const at = old * 4;
      let slot = hashOf(oldKeys[at], oldKeys[at + 1], oldKeys[at + 2], oldKeys[at + 3], this.seed) & mask;
      while (used[slot] === 1) slot = (slot + 1) & mask;
      used[slot] = 1;
      const to = slot * 4;
      keys[to] = oldKeys[at];
      keys[to + 1] = oldKeys[at + 1];
      keys[to + 2] = oldKeys[at + 2];
      keys[to + 3] = oldKeys[at + 3];
    }
    this.keys = keys;
    this.used = used;
    this.mask = mask;
  }
}

/**
 * Event ids in the order a worker thread's run saw them, for the run that counts them (RunOutcome):
 * canonical UUIDs as four words each, the others as text. Plain data: it crosses to another thread as
 * typed arrays, not as a string per record.
 */
export interface PackedEventIds {
  /** Per id: 1 when its words are next in `words`, 0 when its text is next in `texts`. */
  readonly canonical: Uint8Array;
  readonly words: Int32Array;
  readonly texts: readonly string[];
}

/** Builds PackedEventIds one id at a time. */
export class EventIdList {
  private canonical = new Uint8Array(0);
  private words = new Int32Array(0);
  private count = 0;
  private wordCount = 0;
  private texts: string[] = [];

  push(id: string): void {
    this.room();
    if (id.length === UUID_LENGTH && keyOfText(id, this.words, this.wordCount)) this.pushedWords();
    else this.pushedText(id);
  }

  /** push() of the UTF-8 text `data[start, end)` (a JSON string's bytes with no escape in it). */
  pushBytes(data: Buffer, start: number, end: number): void {
    this.room();
    if (end - start === UUID_LENGTH && keyOfBytes(data, start, this.words, this.wordCount)) this.pushedWords();
    else this.pushedText(data.toString('utf8', start, end));
  }

  /** The ids pushed since the last take, packed; the list starts empty again. */
  take(): PackedEventIds {
    const packed = {
      canonical: this.canonical.slice(0, this.count),
      words: this.words.slice(0, this.wordCount),
      texts: this.texts,
    };
    this.count = 0;
    this.wordCount = 0;
    this.texts = [];
    return packed;
  }

  private room(): void {
    if (this.count === this.canonical.length) {
      const canonical = new Uint8Array(Math.max(INITIAL_IDS, this.count * 2));
      canonical.set(this.canonical);
      this.canonical = canonical;
    }
    if (this.wordCount + 4 > this.words.length) {
      const words = new Int32Array(Math.max(INITIAL_IDS * 4, this.words.length * 2));
      words.set(this.words);
      this.words = words;
    }
  }

  private pushedWords(): void {
    this.canonical[this.count++] = 1;
    this.wordCount += 4;
  }

  private pushedText(id: string): void {
    this.canonical[this.count++] = 0;
    this.texts.push(id);
  }
}

/** No ids. */
export const NO_EVENT_IDS: PackedEventIds = { canonical: new Uint8Array(0), words: new Int32Array(0), texts: [] };

/** A canonical UUID's text as four words at `out[at]`; false (and `out` partly written) for any other text. */
function keyOfText(id: string, out: Int32Array, at: number): boolean {
  if (id.charCodeAt(8) !== DASH || id.charCodeAt(13) !== DASH) return false;
  if (id.charCodeAt(18) !== DASH || id.charCodeAt(23) !== DASH) return false;
  for (let w = 0; w < 4; w++) {
    let value = 0;
    for (let n = w * 8; n < w * 8 + 8; n++) {
      const code = id.charCodeAt(HEX_AT[n]);
      const nibble = code < 256 ? NIBBLE[code] : -1;
      if (nibble < 0) return false;
      value = (value << 4) | nibble;
    }
    out[at + w] = value;
  }
  return true;
}

/** keyOfText of the 36 bytes at `data[start]`. */
function keyOfBytes(data: Uint8Array, start: number, out: Int32Array, at: number): boolean {
  if (data[start + 8] !== DASH || data[start + 13] !== DASH) return false;
  if (data[start + 18] !== DASH || data[start + 23] !== DASH) return false;
  for (let w = 0; w < 4; w++) {
    let value = 0;
    for (let n = w * 8; n < w * 8 + 8; n++) {
      const nibble = NIBBLE[data[start + HEX_AT[n]]];
      if (nibble < 0) return false;
      value = (value << 4) | nibble;
    }
    out[at + w] = value;
  }
  return true;
}

function addNew(set: Set<string>, id: string): boolean {
  // One lookup, not has() then add(): the set grows exactly when the id is new.
  const before = set.size;
  return set.add(id).size !== before;
}

/** Each word multiplied in, then murmur3's finalizer, so every bit of the key reaches the low bits. */
function hashOf(w0: number, w1: number, w2: number, w3: number, seed: number): number {
  let h = Math.imul(w0 ^ seed, 0x9e3779b1);
  h = Math.imul(h ^ w1, 0x85ebca6b) ^ (h >>> 13);
  h = Math.imul(h ^ w2, 0xc2b2ae35) ^ (h >>> 16);
  h = Math.imul(h ^ w3, 0x27d4eb2f);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
