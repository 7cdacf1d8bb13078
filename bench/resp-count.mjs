// A small streaming RESP command counter, independent of rdbkit's own reader:
// push() chunks of an AOF part or of `rdbkit resp` output, end() returns
//   { commands, byName: {NAME: n}, annotations, bytes }
// and throws when the stream is not a sequence of complete `*N` arrays of
// `$len` bulk strings (AOF `#…` annotation lines between commands are
// counted, not parsed). It holds nothing but the command name being read.
const CR = 13;
const LF = 10;

export class RespCounter {
  constructor({ annotations = true } = {}) {
    this.allowAnnotations = annotations;
    this.commands = 0;
    this.annotations = 0;
    this.byName = new Map();
    this.bytes = 0;
    this.state = 0; // 0 command start, 1 array header digits, 2 bulk header, 3 bulk body, 4 annotation line
    this.num = 0; // the number being read
    this.sawDigit = false;
    this.argsLeft = 0;
    this.bulkLeft = 0; // bytes of the bulk body still to skip, CRLF included
    this.argIndex = 0;
    this.name = null; // bytes of argument 0
  }

  fail(msg) {
    throw new Error(`RESP: ${msg} at byte ${this.bytes}`);
  }

  push(buf) {
    let i = 0;
    const n = buf.length;
    while (i < n) {
      switch (this.state) {
        case 0: {
          const b = buf[i];
          if (b === 0x2a /* * */) {
            this.state = 1;
            this.num = 0;
            this.sawDigit = false;
            this.hdrCR = false;
          } else if (b === 0x23 /* # */ && this.allowAnnotations) {
            this.state = 4;
            this.annotations++;
          } else this.fail(`expected '*' or '#', got 0x${b.toString(16)}`);
          i++;
          this.bytes++;
          break;
        }
        case 1:
        case 2: {
          // digits, then CRLF
          const b = buf[i];
          if (this.hdrCR) {
            if (b !== LF) this.fail('expected LF');
            this.hdrCR = false;
            if (!this.sawDigit) this.fail('empty length');
            if (this.state === 1) {
              if (this.num < 1) this.fail(`array of ${this.num}`);
              this.argsLeft = this.num;
              this.argIndex = 0;
              this.name = null;
              this.state = 5; // expect '$'
            } else {
              this.bulkLeft = this.num + 2;
              this.nameLen = this.num;
              this.state = 3;
            }
          } else if (b === CR) this.hdrCR = true;
          else if (b >= 0x30 && b <= 0x39) {
            this.num = this.num * 10 + (b - 0x30);
            this.sawDigit = true;
          } else this.fail(`unexpected byte 0x${b.toString(16)} in a length`);
          i++;
          this.bytes++;
          break;
        }
        case 5: {
          if (buf[i] !== 0x24 /* $ */) this.fail('expected $');
          this.state = 2;
          this.num = 0;
          this.sawDigit = false;
          this.hdrCR = false;
          i++;
          this.bytes++;
          break;
        }
        case 3: {
          const take = Math.min(this.bulkLeft, n - i);
          if (this.argIndex === 0) {
            // keep the command name (argument 0), without its CRLF
            const bodyLeft = Math.max(0, this.bulkLeft - 2);
            const part = buf.subarray(i, i + Math.min(take, bodyLeft));
            if (this.nameLen <= 64) this.name = this.name ? Buffer.concat([this.name, part]) : Buffer.from(part);
          }
          // the last two bytes must be CRLF
          for (let j = i; j < i + take; j++) {
            const left = this.bulkLeft - (j - i);
            if (left === 2 && buf[j] !== CR) this.fail('bulk string not followed by CRLF');
            if (left === 1 && buf[j] !== LF) this.fail('bulk string not followed by CRLF');
            if (left > 2) j += left - 3; // skip the body
          }
          this.bulkLeft -= take;
          i += take;
          this.bytes += take;
          if (this.bulkLeft === 0) {
            this.argIndex++;
            if (--this.argsLeft === 0) {
              this.commands++;
              const name = this.name ? this.name.toString('latin1').toUpperCase() : '(long)';
              this.byName.set(name, (this.byName.get(name) ?? 0) + 1);
              this.state = 0;
            } else this.state = 5;
          }
          break;
        }
        case 4: {
          const e = buf.indexOf(LF, i);
          if (e < 0) {
            this.bytes += n - i;
            i = n;
          } else {
            this.bytes += e + 1 - i;
            i = e + 1;
            this.state = 0;
          }
          break;
        }
      }
    }
  }

  end() {
    if (this.state !== 0) this.fail('stream ends inside a command');
    return { commands: this.commands, byName: Object.fromEntries(this.byName), annotations: this.annotations, bytes: this.bytes };
  }
}
