// The validating scan of a record list as WebAssembly (shared/intake/wasm-scan.ts loads it):
// - scan: decode-input.ts's element walk (scanElements, skipValue), the same walk and the same answers,
//   compiled instead of run as JavaScript, crossing strings 16 bytes at a time (SIMD);
// - classify: the stop bitmap the JavaScript walk uses for documents scan does not take.
// decode-input.ts keeps the JavaScript walk as the definition and the fallback (no WebAssembly, nesting
// deeper than the stack given, outputs that do not fit); property tests compare the two.
//
// Built by scripts/generate-record-scan-wasm.mjs (clang --target=wasm32 -msimd128, no libc) into
// record-scan-wasm.generated.ts. Everything is passed in linear memory at addresses the caller chose
// above __heap_base: the document (followed by at least 32 zero bytes), the skim keys, and the output
// arrays with their capacities. Nothing here allocates.

#include <wasm_simd128.h>

typedef unsigned char u8;
typedef unsigned int u32;
typedef int i32;

#define FIELD_ABSENT (-1)
#define FIELD_COMPLEX (-2)
#define NUMBER_AT (-3)

#define INVALID (-1)
#define NO_ROOM (-2)
#define TOO_DEEP (-3)

#define IN_OBJECT 1
#define IN_ARRAY 2

static const u8 *d;
static i32 n;
// The skim: key bytes, keyStart[k]..keyStart[k+1] for key k.
static const u8 *keyBytes;
static const u32 *keyStart;
static i32 keyCount;
static i32 *fields;
static i32 *values;
static i32 base;
static u8 *kinds;
static i32 kindCap;
// As decode-input.ts's sawBackslash and sawUnicodeEscape, and the element's own flags.
static int sawBackslash;
static int sawUnicode;
static int elementBackslash;
static int elementNameEscape;
static int elementUnicode;

static int isWhitespace(u8 c) { return c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d; }
static int isDigit(u8 c) { return c >= 0x30 && c <= 0x39; }
static int isHex(u8 c) { return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66); }
static int isSimpleEscape(u8 c) {
  return c == 0x22 || c == 0x5c || c == 0x2f || c == 0x62 || c == 0x66 || c == 0x6e || c == 0x72 || c == 0x74;
}

static i32 skipWhitespace(i32 i) {
  while (i < n && isWhitespace(d[i])) i++;
  return i;
}

// One bit per byte of `v` that ends plain string content in JSON: `"`, `\` or a control character (below 0x20).
static u32 stopBits(v128_t v) {
  return wasm_i8x16_bitmask(wasm_v128_or(wasm_v128_or(wasm_i8x16_eq(v, wasm_i8x16_splat(0x22)),
                                                      wasm_i8x16_eq(v, wasm_i8x16_splat(0x5c))),
                                         wasm_u8x16_lt(v, wasm_i8x16_splat(0x20))));
}

// i at an opening quote: the index after the closing quote, or INVALID.
static i32 skipString(i32 i) {
  i++;
  for (;;) {
    // The next stop byte, 16 at a time; the zero bytes after the document stop it there.
    for (;;) {
      u32 bits = stopBits(wasm_v128_load(d + i));
      if (bits != 0) {
        i += __builtin_ctz(bits);
        break;
      }
      i += 16;
    }
    if (i >= n) return INVALID;
    u8 c = d[i++];
    if (c == 0x22) return i;
    if (c != 0x5c || i >= n) return INVALID;
    sawBackslash = 1;
    u8 escaped = d[i++];
    if (escaped == 0x75) {
      sawUnicode = 1;
      if (i + 4 > n || !isHex(d[i]) || !isHex(d[i + 1]) || !isHex(d[i + 2]) || !isHex(d[i + 3])) return INVALID;
      i += 4;
    } else if (!isSimpleEscape(escaped)) {
      return INVALID;
    } else if (escaped == 0x5c && i < n && d[i] == 0x75) {
      sawUnicode = 1;
    }
  }
}

static i32 skipDigits(i32 i) {
  while (i < n && isDigit(d[i])) i++;
  return i;
}

static i32 skipNumber(i32 i) {
  if (d[i] == 0x2d) i++;
  if (i >= n) return INVALID;
  if (d[i] == 0x30) i++;
  else if (d[i] >= 0x31 && d[i] <= 0x39) i = skipDigits(i + 1);
  else return INVALID;
  if (i < n && d[i] == 0x2e) {
    i32 start = ++i;
    i = skipDigits(i);
    if (i == start) return INVALID;
  }
  if (i < n && (d[i] == 0x65 || d[i] == 0x45)) {
    i++;
    if (i < n && (d[i] == 0x2b || d[i] == 0x2d)) i++;
    i32 start = i;
    i = skipDigits(i);
    if (i == start) return INVALID;
  }
  return i;
}

static i32 skipLiteral(i32 i, const char *word, i32 length) {
  if (i + length > n) return INVALID;
  for (i32 k = 0; k < length; k++)
    if (d[i + k] != (u8)word[k]) return INVALID;
  return i + length;
}

static void noteField(i32 slot, i32 start) {
  i32 at = base + slot * 2;
  fields[at] = fields[at] == FIELD_ABSENT || start == FIELD_COMPLEX ? start : FIELD_COMPLEX;
}

static void noteValue(i32 slot, i32 start) {
  i32 at = base + slot * 2;
  values[at] = values[at] == FIELD_ABSENT ? start : FIELD_COMPLEX;
}

static void noteValueEnd(i32 slot, i32 end) {
  i32 at = base + slot * 2;
  if (values[at] >= 0) values[at + 1] = end;
}

static void noteEnd(i32 slot, i32 end) {
  i32 at = base + slot * 2;
  if (fields[at] >= 0 || fields[at] <= NUMBER_AT) fields[at + 1] = end;
}

static i32 memberSlot(i32 i) {
  if (i >= n || d[i] != 0x22) return -1;
  i32 from = i + 1;
  for (i32 k = 0; k < keyCount; k++) {
    const u8 *key = keyBytes + keyStart[k];
    i32 length = (i32)(keyStart[k + 1] - keyStart[k]);
    if (length == 0 || from + length >= n || d[from] != key[0] || d[from + length] != 0x22) continue;
    i32 same = 1;
    for (i32 j = 1; j < length; j++)
      if (key[j] != d[from + j]) {
        same = 0;
        break;
      }
    if (same) return k;
  }
  return -1;
}

static i32 skipMemberName(i32 i) {
  if (i >= n || d[i] != 0x22) return INVALID;
  i = skipString(i);
  if (i < 0) return INVALID;
  i = skipWhitespace(i);
  if (i >= n || d[i] != 0x3a) return INVALID;
  return skipWhitespace(i + 1);
}

static i32 skimMemberName(i32 i) {
  int before = sawBackslash;
  sawBackslash = 0;
  i32 next = skipMemberName(i);
  if (sawBackslash) elementNameEscape = 1;
  sawBackslash = sawBackslash || before;
  return next;
}

// A member name at i and the colon after it: the index of its value, or INVALID. At a skimmed element's
// top level (`top`) its skim slot goes to *slot and an escape in it is noted.
static i32 memberName(i32 i, int top, i32 *slot) {
  if (!top) return skipMemberName(i);
  *slot = memberSlot(i);
  return skimMemberName(i);
}

// decode-input.ts's skipValue; TOO_DEEP when the nesting is deeper than the stack given.
static i32 skipValue(i32 i, int skim) {
  i32 depth = 0;
  i32 slot = -1;
  i32 reading = -1;
  if (skim) {
    sawBackslash = 0;
    sawUnicode = 0;
  }
  for (;;) {
    if (i >= n) return INVALID;
    u8 c = d[i];
    i32 noted = slot;
    slot = -1;
    if (noted >= 0) {
      noteField(noted, c == 0x22 ? i + 1 : c == 0x2d || isDigit(c) ? NUMBER_AT - i : FIELD_COMPLEX);
      noteValue(noted, i);
      reading = noted;
    }
    if (c == 0x22) {
      if (noted >= 0) {
        int before = sawBackslash;
        sawBackslash = 0;
        i = skipString(i);
        if (sawBackslash) noteField(noted, FIELD_COMPLEX);
        else noteEnd(noted, i - 1);
        sawBackslash = sawBackslash || before;
      } else
        i = skipString(i);
    } else if (c == 0x7b || c == 0x5b) {
      i = skipWhitespace(i + 1);
      if (i < n && d[i] == (c == 0x7b ? 0x7d : 0x5d))
        i++;
      else {
        if (depth == kindCap) return TOO_DEEP;
        kinds[depth++] = c == 0x7b ? IN_OBJECT : IN_ARRAY;
        if (c == 0x7b) {
          i = memberName(i, skim && depth == 1, &slot);
          if (i < 0) return INVALID;
        }
        continue;
      }
    } else if (c == 0x2d || isDigit(c)) {
      i = skipNumber(i);
      if (noted >= 0) noteEnd(noted, i);
    } else if (c == 0x74)
      i = skipLiteral(i, "true", 4);
    else if (c == 0x66)
      i = skipLiteral(i, "false", 5);
    else if (c == 0x6e)
      i = skipLiteral(i, "null", 4);
    else
      return INVALID;
    if (i < 0) return INVALID;
    for (;;) {
      if (depth == 0) {
        if (skim) {
          elementBackslash = sawBackslash;
          elementUnicode = sawUnicode;
        }
        return i;
      }
      if (reading >= 0 && depth == 1) {
        noteValueEnd(reading, i);
        reading = -1;
      }
      i = skipWhitespace(i);
      if (i >= n) return INVALID;
      u8 e = d[i];
      int inObject = kinds[depth - 1] == IN_OBJECT;
      if (e == 0x2c) {
        i = skipWhitespace(i + 1);
        if (inObject) {
          i = memberName(i, skim && depth == 1, &slot);
          if (i < 0) return INVALID;
        }
        break;
      }
      if (e == (inObject ? 0x7d : 0x5d)) {
        i++;
        depth--;
        continue;
      }
      return INVALID;
    }
  }
}

// The elements from `i` (the first byte after `[` and its whitespace) to the end of the document: their
// count, INVALID, NO_ROOM when an output is too small, or TOO_DEEP (the caller then runs the JavaScript
// walk). `out[0]` gets the number of skim rows.
__attribute__((export_name("scan"))) i32 scan(const u8 *data, i32 length, i32 i, const u8 *keys, const u32 *keyStarts,
                                              i32 keyTotal, u32 *spans, u8 *plain, i32 *rowOf, i32 *fieldsOut,
                                              i32 *valuesOut, i32 elementCap, i32 rowCap, u8 *stack, i32 stackCap,
                                              i32 *out) {
  d = data;
  n = length;
  keyBytes = keys;
  keyStart = keyStarts;
  keyCount = keyTotal;
  fields = fieldsOut;
  values = valuesOut;
  kinds = stack;
  kindCap = stackCap;
  int skimming = keyTotal > 0;
  i32 count = 0;
  i32 rows = 0;
  if (i < n && d[i] == 0x5d)
    i++;
  else {
    for (;;) {
      int object = skimming && i < n && d[i] == 0x7b;
      if (object) {
        if (rows >= rowCap) return NO_ROOM;
        base = rows * keyCount * 2;
        for (i32 k = 0; k < keyCount * 2; k++) {
          fields[base + k] = FIELD_ABSENT;
          values[base + k] = FIELD_ABSENT;
        }
        elementBackslash = 0;
        elementNameEscape = 0;
        elementUnicode = 0;
      }
      i32 end = skipValue(i, object);
      if (end < 0) return end;
      if (count >= elementCap) return NO_ROOM;
      if (skimming) {
        rowOf[count] = object ? rows++ : -1;
        plain[count] = !object || elementNameEscape ? 0 : !elementBackslash ? 1 : elementUnicode ? 2 : 3;
      }
      spans[count * 2] = (u32)i;
      spans[count * 2 + 1] = (u32)end;
      count++;
      i = skipWhitespace(end);
      if (i < n && d[i] == 0x2c) {
        i = skipWhitespace(i + 1);
        continue;
      }
      if (i < n && d[i] == 0x5d) {
        i++;
        break;
      }
      return INVALID;
    }
  }
  i = skipWhitespace(i);
  if (i >= n || d[i] != 0x7d) return INVALID;
  if (skipWhitespace(i + 1) != n) return INVALID;
  out[0] = rows;
  return count;
}

// For the bytes [src, src + length), length a multiple of 32: one bit per byte at dst, set for a byte that
// ends plain string content in JSON: `"`, `\` or a control character (below 0x20).
__attribute__((export_name("classify"))) void classify(const u8 *src, i32 length, u32 *dst) {
  for (i32 at = 0; at < length; at += 32)
    dst[at / 32] = stopBits(wasm_v128_load(src + at)) | stopBits(wasm_v128_load(src + at + 16)) << 16;
}
