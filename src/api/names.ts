// metadata.generateName (apiserver names.SimpleNameGenerator): the prefix, cut so the result fits a
// 63-character label, followed by five characters that avoid vowels and look-alike digits.

import { randomInt } from 'node:crypto';

export const GENERATED_SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
export const GENERATED_SUFFIX_LENGTH = 5;
const MAX_PREFIX_LENGTH = 63 - GENERATED_SUFFIX_LENGTH;

export function randomSuffix(length = GENERATED_SUFFIX_LENGTH): string {
  let out = '';
  for (let i = 0; i < length; i++) out += GENERATED_SUFFIX_ALPHABET[randomInt(GENERATED_SUFFIX_ALPHABET.length)];
  return out;
}

export function generateName(prefix: string, suffix: () => string = randomSuffix): string {
  const base = prefix.length > MAX_PREFIX_LENGTH ? prefix.slice(0, MAX_PREFIX_LENGTH) : prefix;
  return base + suffix();
}
