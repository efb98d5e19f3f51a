// The syntax error Go's encoding/json reports for a malformed JSON document, worded as its scanner
// words it ("invalid character '}' looking for beginning of object key string", "unexpected end
// of JSON input"): Kubernetes passes it through to the client in its decode errors.

type Step = 'value' | 'valueOrEnd' | 'key' | 'keyOrEnd' | 'afterKey' | 'afterPair' | 'afterElement' | 'top';

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** Go's quoteChar: `'x'`, with the escapes of strconv.Quote. */
function quoteChar(c: number): string {
  if (c === 0x27) return `'\\''`;
  if (c === 0x22) return `'"'`;
  const named: Record<number, string> = { 0x07: '\\a', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x0b: '\\v', 0x5c: '\\\\' };
  if (named[c]) return `'${named[c]}'`;
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, '0')}'`;
  // A byte ≥ 0x80 is taken as the rune of that value, as Go's string(rune(c)) does.
  return `'${String.fromCodePoint(c)}'`;
}

class SyntaxError {
  constructor(readonly message: string) {}
}

const invalid = (c: number, context: string) => new SyntaxError(`invalid character ${quoteChar(c)} ${context}`);

/**
 * The message of the error json.Unmarshal returns for `data`, or undefined when it is well-formed
 * JSON. Follows the states of Go's scanner, on bytes as Go reads them. At the end of the input Go
 * feeds its scanner one space: inside a number, literal or escape that is the invalid character.
 */
export function goJsonSyntaxError(data: Uint8Array): string | undefined {
  const n = data.length;
  let i = 0;
  /** The next byte, or the space Go feeds at the end. */
  const next = () => (i < n ? data[i++]! : (i++, 0x20));
  const isDigit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;
  const literal = (word: string) => {
    for (let k = 1; k < word.length; k++) {
      const c = next();
      if (c !== word.charCodeAt(k)) throw invalid(c, `in literal ${word} (expecting '${word[k]}')`);
    }
  };
  const string = () => {
    for (;;) {
      if (i >= n) throw new SyntaxError('unexpected end of JSON input');
      const c = data[i++]!;
      if (c === 0x22) return;
      if (c < 0x20) throw invalid(c, 'in string literal');
      if (c !== 0x5c) continue;
      const e = next();
      if (e === 0x75) {
        for (let k = 0; k < 4; k++) {
          const h = next();
          if (!(isDigit(h) || (h >= 0x61 && h <= 0x66) || (h >= 0x41 && h <= 0x46))) throw invalid(h, 'in \\u hexadecimal character escape');
        }
      } else if (!'"\\/bfnrt'.includes(String.fromCharCode(e))) {
        throw invalid(e, 'in string escape code');
      }
    }
  };
  const number = (first: number) => {
    let c = first;
    if (c === 0x2d) {
      c = next();
      if (!isDigit(c)) throw invalid(c, 'in numeric literal');
    }
    if (c !== 0x30) while (isDigit(data[i])) i++;
    if (data[i] === 0x2e) {
      i++;
      const d = next();
      if (!isDigit(d)) throw invalid(d, 'after decimal point in numeric literal');
      while (isDigit(data[i])) i++;
    }
    if (data[i] === 0x65 || data[i] === 0x45) {
      i++;
      let d = next();
      if (d === 0x2b || d === 0x2d) d = next();
      if (!isDigit(d)) throw invalid(d, 'in exponent of numeric literal');
      while (isDigit(data[i])) i++;
    }
  };

  const stack: ('object' | 'array')[] = [];
  let step: Step = 'value';
  const endValue = () => {
    const top = stack.at(-1);
    step = top === 'object' ? 'afterPair' : top === 'array' ? 'afterElement' : 'top';
  };
  try {
    for (;;) {
      while (i < n && WS.has(data[i]!)) i++;
      if (i >= n) return (step as Step) === 'top' ? undefined : 'unexpected end of JSON input';
      const c = data[i++]!;
      switch (step as Step) {
        case 'keyOrEnd':
        case 'key':
          if (c === 0x7d && step === 'keyOrEnd') {
            stack.pop();
            endValue();
          } else if (c === 0x22) {
            string();
            step = 'afterKey';
          } else throw invalid(c, 'looking for beginning of object key string');
          break;
        case 'valueOrEnd':
        case 'value':
          if (c === 0x5d && step === 'valueOrEnd') {
            stack.pop();
            endValue();
          } else if (c === 0x7b) {
            stack.push('object');
            step = 'keyOrEnd';
          } else if (c === 0x5b) {
            stack.push('array');
            step = 'valueOrEnd';
          } else {
            if (c === 0x22) string();
            else if (c === 0x2d || isDigit(c)) number(c);
            else if (c === 0x74) literal('true');
            else if (c === 0x66) literal('false');
            else if (c === 0x6e) literal('null');
            else throw invalid(c, 'looking for beginning of value');
            endValue();
          }
          break;
        case 'afterKey':
          if (c !== 0x3a) throw invalid(c, 'after object key');
          step = 'value';
          break;
        case 'afterPair':
          if (c === 0x2c) step = 'key';
          else if (c === 0x7d) {
            stack.pop();
            endValue();
          } else throw invalid(c, 'after object key:value pair');
          break;
        case 'afterElement':
          if (c === 0x2c) step = 'value';
          else if (c === 0x5d) {
            stack.pop();
            endValue();
          } else throw invalid(c, 'after array element');
          break;
        case 'top':
          throw invalid(c, 'after top-level value');
      }
    }
  } catch (err) {
    if (err instanceof SyntaxError) return err.message;
    throw err;
  }
}

/** Kubernetes' summary of a body it could not decode: JSON text up to 30 bytes, else hex. */
export function summarizeBody(data: Uint8Array, max = 30): string {
  if (data.length === 0) return '<empty>';
  const head = data.subarray(0, max);
  const more = data.length > max ? ' ...' : '';
  if (data[0] === 0x7b) return `${Buffer.from(head).toString('utf8')}${more}`;
  return `${Buffer.from(head).toString('hex')}${more}`;
}
