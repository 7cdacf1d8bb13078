;; Hot kernels of rdbkit in WebAssembly, written by hand: CRC-64/Jones, LZF
;; decompression (format.md 2.7 and 4.1), and RESP from RDB strings and
;; listpacks (`run`, `lpcheck`; the sink path of `rdbkit resp`). src/rdb/kernels.ts loads them;
;; src/rdb/kernels.wasm.ts holds the assembled bytes (`npm run kernels`, which
;; test/rdb/kernels.test.ts checks are current). The JavaScript versions in
;; crc64.ts and lzf.ts stay the reference and the fallback (also where an
;; engine has WebAssembly without its fixed-width SIMD: LZF copies in v128
;; steps, and the module then does not compile).
;;
;; Memory: [0, 32768) the 16 CRC slicing tables (256 little-endian u64 each;
;; table s at 2048 * s, built by $crctables), [32768, 32776) the CRC result,
;; [40960, 41160) DIGIT_PAIRS (a data segment),
;; [65536, ...) data the caller copies in.
(module
  (memory (export "mem") 2)
  ;; DIGIT_PAIRS: "00" "01" ... "99", for $putdigits
  (data (i32.const 40960) "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899")

  ;; The 16 slicing tables of CRC-64/Jones (reflected polynomial
  ;; 0x95AC9329AC4BC9B5) at [0, 32768): table 0 byte by byte, table s from
  ;; table s-1 (an entry shifted by a byte, then through table 0). Built
  ;; here rather than copied in: a JavaScript loop over them at start-up was
  ;; the first thing V8 compiled, ahead of the decoder.
  (func (export "crctables")
    (local $i i32) (local $k i32) (local $c i64) (local $a i32)
    (local.set $i (i32.const 0))
    (loop $t0
      (local.set $c (i64.extend_i32_u (local.get $i)))
      (local.set $k (i32.const 0))
      (loop $bit
        (local.set $c
          (i64.xor (i64.shr_u (local.get $c) (i64.const 1))
                   (i64.and (i64.sub (i64.const 0) (i64.and (local.get $c) (i64.const 1)))
                            (i64.const 0x95AC9329AC4BC9B5))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br_if $bit (i32.lt_u (local.get $k) (i32.const 8))))
      (i64.store (i32.shl (local.get $i) (i32.const 3)) (local.get $c))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $t0 (i32.lt_u (local.get $i) (i32.const 256))))
    ;; entries 256.. (tables 1-15): from the entry 256 before it
    (local.set $a (i32.const 2048))
    (loop $ts
      (local.set $c (i64.load (i32.sub (local.get $a) (i32.const 2048))))
      (i64.store (local.get $a)
        (i64.xor (i64.shr_u (local.get $c) (i64.const 8))
                 (i64.load (i32.shl (i32.wrap_i64 (i64.and (local.get $c) (i64.const 255))) (i32.const 3)))))
      (local.set $a (i32.add (local.get $a) (i32.const 8)))
      (br_if $ts (i32.lt_u (local.get $a) (i32.const 32768)))))

  ;; CRC-64/Jones (reflected, table-driven, slicing-by-16) of [p, end),
  ;; continuing from the CRC whose halves are lo and hi; the result is stored
  ;; at 32768. p >= 65536.
  (func (export "crc") (param $lo i32) (param $hi i32) (param $p i32) (param $end i32)
    (local $crc i64) (local $a i64) (local $b i64) (local $stop i32)
    (local.set $crc (i64.or (i64.extend_i32_u (local.get $lo))
                            (i64.shl (i64.extend_i32_u (local.get $hi)) (i64.const 32))))
    (local.set $stop (i32.sub (local.get $end) (i32.const 16)))
    (block $d16 (loop $l16
      (br_if $d16 (i32.gt_u (local.get $p) (local.get $stop)))
      (local.set $a (i64.xor (local.get $crc) (i64.load (local.get $p))))
      (local.set $b (i64.load offset=8 (local.get $p)))
      (local.set $crc
          (i64.xor
            (i64.xor
              (i64.xor
                (i64.xor
                  (i64.load offset=30720 (i32.shl (i32.wrap_i64 (i64.and (local.get $a) (i64.const 255))) (i32.const 3)))
                  (i64.load offset=28672 (i32.shl (i32.wrap_i64 (i64.and (i64.shr_u (local.get $a) (i64.const 8)) (i64.const 255))) (i32.const 3))))
                (i64.xor
                  (i64.load offset=26624 (i32.shl (i32.wrap_i64 (i64.and (i64.shr_u (local.get $a) (i64.const 16)) (i64.const 255))) (i32.const 3)))
                  (i64.load offset=24576 (i32.shl (i32.wrap_i64 (i64.and (i64.shr_u (local.get $a) (i64.const 24)) (i64.const 255))) (i32.const 3)))))
              (i64.xor
                (i64.xor
                  (i64.load offset=22528 (i32.shl (i32.wrap_i64 (i64.and (i64.shr_u (local.get $a) (i64.const 32)) (i64.const 255))) (i32.const 3)))
                  (i64.load offset=20480 (i32.shl (i32.wrap_i64 (i64.and (i64.shr_u (local.get $a) (i64.const 40)) (i64.const 255))) (i32.const 3))))
                (i64.xor
                  (i64.load offset=18432 (i32.shl (i32.wrap_i64 (i64.and (i64.shr_u (local.get $a) (i64.const 48)) (i64.const 255))) (i32.const 3)))
                  (i64.load offset=16384 (i32.shl (i32.wrap_i64 (i64.shr_u (local.get $a) (i64.const 56))) (i32.const 3))))))
            (i64.xor
              (i64.xor
                (i64.xor
                  (i64.load offset=14336 (i32.shl (i32.wrap_i64 (i64.and (local.get $b) (i64.const 255))) (i32.const 3)))
                  (i64.load offset=12288 (i32.shl (i32.wrap_i64 (i64.and (i64.shr_u (local.get $b) (i64.const 8)) (i64.const 255))) (i32.const 3))))
                (i64.xor
                  (i64.load offset=10240 (i32.shl (i32.wrap_i64 (i64.and (i64.shr_u (local.get $b) (i64.const 16)) (i64.const 255))) (i32.const 3)))
                  (i64.load offset=8192 (i32.shl (i32.wrap_i64 (i64.and (i64.shr_u (local.get $b) (i64.const 24)) (i64.const 255))) (i32.const 3)))))
              (i64.xor
                (i64.xor
                  (i64.load offset=6144 (i32.shl (i32.wrap_i64 (i64.and (i64.shr_u (local.get $b) (i64.const 32)) (i64.const 255))) (i32.const 3)))
                  (i64.load offset=4096 (i32.shl (i32.wrap_i64 (i64.and (i64.shr_u (local.get $b) (i64.const 40)) (i64.const 255))) (i32.const 3))))
                (i64.xor
                  (i64.load offset=2048 (i32.shl (i32.wrap_i64 (i64.and (i64.shr_u (local.get $b) (i64.const 48)) (i64.const 255))) (i32.const 3)))
                  (i64.load (i32.shl (i32.wrap_i64 (i64.shr_u (local.get $b) (i64.const 56))) (i32.const 3))))))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $l16)))
    (block $d1 (loop $l1
      (br_if $d1 (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $crc (i64.xor (i64.shr_u (local.get $crc) (i64.const 8))
        (i64.load (i32.shl (i32.wrap_i64 (i64.and (i64.xor (local.get $crc) (i64.load8_u (local.get $p))) (i64.const 255)))
                           (i32.const 3)))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $l1)))
    (i64.store (i32.const 32768) (local.get $crc)))

  ;; Why lzf stopped early: 1 literal run past the end of the input, 2 output
  ;; longer than outEnd - out, 3 back reference past the end of the input,
  ;; 4 back reference before the start of the output.
  (global $fault (export "fault") (mut i32) (i32.const 0))

  ;; Decompresses [ip, end) to out, its output at most up to outEnd, though
  ;; up to 15 bytes after a run are written too: the memory must reach 16 bytes
  ;; past outEnd, and bytes past the output are not kept. Returns
  ;; where the output stopped, or -1 - (the input position of the faulting
  ;; chunk) with the reason in $fault. Checks in the order of lzf.ts.
  (func (export "lzf") (param $ip i32) (param $end i32) (param $out i32) (param $outEnd i32) (result i32)
    (local $op i32) (local $at i32) (local $ctrl i32) (local $len i32) (local $ref i32) (local $n i32)
    (local.set $op (local.get $out))
    (block $done (loop $chunk
      (br_if $done (i32.ge_u (local.get $ip) (local.get $end)))
      (local.set $at (local.get $ip))
      (local.set $ctrl (i32.load8_u (local.get $ip)))
      (local.set $ip (i32.add (local.get $ip) (i32.const 1)))
      (if (i32.lt_u (local.get $ctrl) (i32.const 32))
        (then
          ;; literal run of ctrl + 1 bytes
          (local.set $len (i32.add (local.get $ctrl) (i32.const 1)))
          (if (i32.gt_u (i32.add (local.get $ip) (local.get $len)) (local.get $end))
            (then (global.set $fault (i32.const 1)) (return (i32.sub (i32.const -1) (local.get $at)))))
          (if (i32.gt_u (i32.add (local.get $op) (local.get $len)) (local.get $outEnd))
            (then (global.set $fault (i32.const 2)) (return (i32.sub (i32.const -1) (local.get $at)))))
          ;; 16 bytes at a time (memory.copy costs a call for such short runs): up to
          ;; 15 bytes past the run are written, into output not yet made (the
          ;; caller leaves 16 bytes of room after outEnd), and read from past it
          (local.set $n (i32.const 0))
          (loop $lit
            (v128.store (i32.add (local.get $op) (local.get $n)) (v128.load (i32.add (local.get $ip) (local.get $n))))
            (local.set $n (i32.add (local.get $n) (i32.const 16)))
            (br_if $lit (i32.lt_u (local.get $n) (local.get $len))))
          (local.set $op (i32.add (local.get $op) (local.get $len)))
          (local.set $ip (i32.add (local.get $ip) (local.get $len)))
          (br $chunk)))
      ;; back reference: length ctrl >> 5 (7: plus the next byte), plus 2
      (local.set $len (i32.shr_u (local.get $ctrl) (i32.const 5)))
      (if (i32.eq (local.get $len) (i32.const 7))
        (then
          (if (i32.ge_u (local.get $ip) (local.get $end))
            (then (global.set $fault (i32.const 3)) (return (i32.sub (i32.const -1) (local.get $at)))))
          (local.set $len (i32.add (local.get $len) (i32.load8_u (local.get $ip))))
          (local.set $ip (i32.add (local.get $ip) (i32.const 1)))))
      (if (i32.ge_u (local.get $ip) (local.get $end))
        (then (global.set $fault (i32.const 3)) (return (i32.sub (i32.const -1) (local.get $at)))))
      (local.set $ref (i32.sub (i32.sub (local.get $op)
        (i32.or (i32.shl (i32.and (local.get $ctrl) (i32.const 31)) (i32.const 8)) (i32.load8_u (local.get $ip))))
        (i32.const 1)))
      (local.set $ip (i32.add (local.get $ip) (i32.const 1)))
      (local.set $len (i32.add (local.get $len) (i32.const 2)))
      (if (i32.lt_s (local.get $ref) (local.get $out))
        (then (global.set $fault (i32.const 4)) (return (i32.sub (i32.const -1) (local.get $at)))))
      (if (i32.gt_u (i32.add (local.get $op) (local.get $len)) (local.get $outEnd))
        (then (global.set $fault (i32.const 2)) (return (i32.sub (i32.const -1) (local.get $at)))))
      (if (i32.ge_u (i32.sub (local.get $op) (local.get $ref)) (i32.const 16))
        (then
          ;; 16 bytes at a time, each read of bytes already written (the source is
          ;; at least 16 behind); up to 15 bytes past the run are written, as above
          (local.set $n (i32.const 0))
          (loop $far16
            (v128.store (i32.add (local.get $op) (local.get $n)) (v128.load (i32.add (local.get $ref) (local.get $n))))
            (local.set $n (i32.add (local.get $n) (i32.const 16)))
            (br_if $far16 (i32.lt_u (local.get $n) (local.get $len))))
          (local.set $op (i32.add (local.get $op) (local.get $len)))
          (br $chunk)))
      (if (i32.ge_u (i32.sub (local.get $op) (local.get $ref)) (i32.const 8))
        (then
          ;; 8 bytes at a time, each read of bytes already written (the source is
          ;; at least 8 behind); up to 7 bytes past the run are written, as above
          (local.set $n (i32.const 0))
          (loop $far
            (i64.store (i32.add (local.get $op) (local.get $n)) (i64.load (i32.add (local.get $ref) (local.get $n))))
            (local.set $n (i32.add (local.get $n) (i32.const 8)))
            (br_if $far (i32.lt_u (local.get $n) (local.get $len))))
          (local.set $op (i32.add (local.get $op) (local.get $len))))
        (else
          ;; the run overlaps its source: byte by byte, each read of a byte already written
          (loop $bytes
            (i32.store8 (local.get $op) (i32.load8_u (local.get $ref)))
            (local.set $op (i32.add (local.get $op) (i32.const 1)))
            (local.set $ref (i32.add (local.get $ref) (i32.const 1)))
            (local.set $len (i32.sub (local.get $len) (i32.const 1)))
            (br_if $bytes (local.get $len)))))
      (br $chunk)))
    (local.get $op))
;; ------------------------------------------------------------------
  ;; RESP from RDB elements (the sink path of `rdbkit resp`, resp.ts `run`).
  ;; An instance of its own: [65536, ...) output, then the mirrored input.
  ;; `run` leaves its results at 32776: the input position after the units
  ;; taken, the output position, the units taken and the bytes they count
  ;; towards the batch size (as RespWriter counts them).

  ;; The RDB string just read by $rdbstr: its bytes at $sa ($sn long), or when
  ;; $sa is -1 an integer $sv.
  (global $sa (mut i32) (i32.const 0))
  (global $sn (mut i32) (i32.const 0))
  (global $sv (mut i64) (i64.const 0))

  ;; One RDB string at p, wholly before lim: 6-, 14- or 32-bit length, or an
  ;; 8/16/32-bit integer. Returns the position after it, or 0 when it is not
  ;; whole before lim, 1 when it is of another kind (LZF, 64-bit length).
  (func $rdbstr (param $p i32) (param $lim i32) (result i32)
    (local $b i32) (local $a i32) (local $n i32)
    (if (i32.ge_u (local.get $p) (local.get $lim)) (then (return (i32.const 0))))
    (local.set $b (i32.load8_u (local.get $p)))
    (block $int
      (if (i32.lt_u (local.get $b) (i32.const 0x40))
        (then (local.set $a (i32.add (local.get $p) (i32.const 1))) (local.set $n (local.get $b)))
        (else (if (i32.lt_u (local.get $b) (i32.const 0x80))
          (then
            (if (i32.gt_u (i32.add (local.get $p) (i32.const 2)) (local.get $lim)) (then (return (i32.const 0))))
            (local.set $a (i32.add (local.get $p) (i32.const 2)))
            (local.set $n (i32.or (i32.shl (i32.and (local.get $b) (i32.const 0x3f)) (i32.const 8)) (i32.load8_u offset=1 (local.get $p)))))
          (else (if (i32.eq (local.get $b) (i32.const 0x80))
            (then
              (if (i32.gt_u (i32.add (local.get $p) (i32.const 5)) (local.get $lim)) (then (return (i32.const 0))))
              (local.set $a (i32.add (local.get $p) (i32.const 5)))
              (local.set $n (i32.or (i32.or (i32.shl (i32.load8_u offset=1 (local.get $p)) (i32.const 24))
                                            (i32.shl (i32.load8_u offset=2 (local.get $p)) (i32.const 16)))
                                    (i32.or (i32.shl (i32.load8_u offset=3 (local.get $p)) (i32.const 8))
                                            (i32.load8_u offset=4 (local.get $p))))))
            (else (br $int)))))))
      (if (i32.gt_u (local.get $n) (i32.sub (local.get $lim) (local.get $a))) (then (return (i32.const 0))))
      (global.set $sa (local.get $a))
      (global.set $sn (local.get $n))
      (return (i32.add (local.get $a) (local.get $n))))
    (global.set $sa (i32.const -1))
    (if (i32.eq (local.get $b) (i32.const 0xc0))
      (then
        (if (i32.gt_u (i32.add (local.get $p) (i32.const 2)) (local.get $lim)) (then (return (i32.const 0))))
        (global.set $sv (i64.extend_i32_s (i32.load8_s offset=1 (local.get $p))))
        (return (i32.add (local.get $p) (i32.const 2)))))
    (if (i32.eq (local.get $b) (i32.const 0xc1))
      (then
        (if (i32.gt_u (i32.add (local.get $p) (i32.const 3)) (local.get $lim)) (then (return (i32.const 0))))
        (global.set $sv (i64.extend_i32_s (i32.load16_s offset=1 (local.get $p))))
        (return (i32.add (local.get $p) (i32.const 3)))))
    (if (i32.eq (local.get $b) (i32.const 0xc2))
      (then
        (if (i32.gt_u (i32.add (local.get $p) (i32.const 5)) (local.get $lim)) (then (return (i32.const 0))))
        (global.set $sv (i64.extend_i32_s (i32.load offset=1 (local.get $p))))
        (return (i32.add (local.get $p) (i32.const 5)))))
    (i32.const 1))

  ;; The number of decimal digits of v (comparisons below 10^9; i64 division
  ;; per digit cost a sixth of the kernel's time).
  (func $digits (param $v i64) (result i32)
    (local $k i32)
    (if (i64.lt_u (local.get $v) (i64.const 1000000000))
      (then
        (local.set $k (i32.wrap_i64 (local.get $v)))
        (return
          (if (result i32) (i32.lt_u (local.get $k) (i32.const 10000))
            (then (i32.add (i32.add (i32.const 1) (i32.ge_u (local.get $k) (i32.const 10)))
                           (i32.add (i32.ge_u (local.get $k) (i32.const 100)) (i32.ge_u (local.get $k) (i32.const 1000)))))
            (else (i32.add (i32.add (i32.const 5) (i32.ge_u (local.get $k) (i32.const 100000)))
                           (i32.add (i32.add (i32.ge_u (local.get $k) (i32.const 1000000)) (i32.ge_u (local.get $k) (i32.const 10000000)))
                                    (i32.ge_u (local.get $k) (i32.const 100000000)))))))))
    (local.set $k (i32.const 9))
    (local.set $v (i64.div_u (local.get $v) (i64.const 1000000000)))
    (block $d (loop $l
      (br_if $d (i64.eqz (local.get $v)))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $l)))
    (local.get $k))

  ;; The k digits of v at op (its low k digits: k is at least its digit
  ;; count); returns op + k. Two digits a step, from the pair table at
  ;; DIGIT_PAIRS; 32-bit division once v fits.
  (func $putdigits (param $op i32) (param $v i64) (param $k i32) (result i32)
    (local $q i32) (local $w i32) (local $t i32) (local $t64 i64)
    (local.set $q (i32.add (local.get $op) (local.get $k)))
    (block $small (loop $l
      (br_if $small (i64.le_u (local.get $v) (i64.const 0xffffffff)))
      (br_if $small (i32.lt_u (i32.sub (local.get $q) (local.get $op)) (i32.const 2)))
      (local.set $t64 (i64.div_u (local.get $v) (i64.const 100)))
      (local.set $q (i32.sub (local.get $q) (i32.const 2)))
      (i32.store16 (local.get $q)
        (i32.load16_u offset=40960 (i32.shl (i32.wrap_i64 (i64.sub (local.get $v) (i64.mul (local.get $t64) (i64.const 100)))) (i32.const 1))))
      (local.set $v (local.get $t64))
      (br $l)))
    (local.set $w (i32.wrap_i64 (local.get $v)))
    (block $done (loop $pairs
      (br_if $done (i32.lt_u (i32.sub (local.get $q) (local.get $op)) (i32.const 2)))
      (local.set $t (i32.div_u (local.get $w) (i32.const 100)))
      (local.set $q (i32.sub (local.get $q) (i32.const 2)))
      (i32.store16 (local.get $q)
        (i32.load16_u offset=40960 (i32.shl (i32.sub (local.get $w) (i32.mul (local.get $t) (i32.const 100))) (i32.const 1))))
      (local.set $w (local.get $t))
      (br $pairs)))
    (if (i32.gt_u (local.get $q) (local.get $op))
      (then (i32.store8 (i32.sub (local.get $q) (i32.const 1)) (i32.add (i32.const 0x30) (i32.rem_u (local.get $w) (i32.const 10))))))
    (i32.add (local.get $op) (local.get $k)))

  ;; "$n\r\n" at op; returns the position after it.
  (func $head (param $op i32) (param $n i32) (result i32)
    (local $t i32)
    ;; below 100 (most elements): stored whole, no digit loop (n / 10 = n × 205 >> 11 there)
    (if (i32.lt_u (local.get $n) (i32.const 10))
      (then
        (i32.store (local.get $op) (i32.or (i32.const 0x0a0d0024) (i32.shl (i32.add (local.get $n) (i32.const 0x30)) (i32.const 8))))
        (return (i32.add (local.get $op) (i32.const 4)))))
    (if (i32.lt_u (local.get $n) (i32.const 100))
      (then
        (local.set $t (i32.shr_u (i32.mul (local.get $n) (i32.const 205)) (i32.const 11)))
        (i32.store (local.get $op)
          (i32.or (i32.or (i32.const 0x0d000024) (i32.shl (i32.add (local.get $t) (i32.const 0x30)) (i32.const 8)))
                  (i32.shl (i32.add (i32.sub (local.get $n) (i32.mul (local.get $t) (i32.const 10))) (i32.const 0x30)) (i32.const 16))))
        (i32.store8 offset=4 (local.get $op) (i32.const 0x0a))
        (return (i32.add (local.get $op) (i32.const 5)))))
    (i32.store8 (local.get $op) (i32.const 0x24))
    (local.set $op (call $putdigits (i32.add (local.get $op) (i32.const 1)) (i64.extend_i32_u (local.get $n))
                                    (call $digits (i64.extend_i32_u (local.get $n)))))
    (i32.store16 (local.get $op) (i32.const 0x0a0d))
    (i32.add (local.get $op) (i32.const 2)))

  ;; Text length of the string $rdbstr read: its length, or its integer's decimal text.
  (func $textlen (result i32)
    (local $v i64)
    (if (i32.ge_s (global.get $sa) (i32.const 0)) (then (return (global.get $sn))))
    (local.set $v (global.get $sv))
    (if (i64.lt_s (local.get $v) (i64.const 0))
      (then (return (i32.add (i32.const 1) (call $digits (i64.sub (i64.const 0) (local.get $v)))))))
    (call $digits (local.get $v)))

  ;; The string $rdbstr read as a bulk string at op, n its $textlen (the
  ;; callers have it; 8 bytes of room past its end are written over);
  ;; returns the position after it.
  (func $bulk (param $op i32) (param $n i32) (result i32)
    (local $src i32) (local $v i64)
    (local.set $op (call $head (local.get $op) (local.get $n)))
    (local.set $src (global.get $sa))
    (if (i32.ge_s (local.get $src) (i32.const 0))
      (then
        (call $copy (local.get $op) (local.get $src) (local.get $n))
        (local.set $op (i32.add (local.get $op) (local.get $n))))
      (else
        (local.set $v (global.get $sv))
        (if (i64.lt_s (local.get $v) (i64.const 0))
          (then
            (i32.store8 (local.get $op) (i32.const 0x2d))
            (local.set $op (i32.add (local.get $op) (i32.const 1)))
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (local.set $v (i64.sub (i64.const 0) (local.get $v)))))
        (local.set $op (call $putdigits (local.get $op) (local.get $v) (local.get $n)))))
    (i32.store16 (local.get $op) (i32.const 0x0a0d))
    (i32.add (local.get $op) (i32.const 2)))

  ;; A score as a bulk string when it is exactly k/1000 below 1e12 and not
  ;; -0 (RespWriter.bulkScore's fast path, same text); returns the position
  ;; after it, or 0 for any other score.
  (func $score (param $op i32) (param $v f64) (result i32)
    (local $a f64) (local $k f64) (local $ki i64) (local $whole i64) (local $frac i32)
    (local $wd i32) (local $fd i32) (local $neg i32)
    (local.set $a (f64.abs (local.get $v)))
    (if (i32.eqz (f64.lt (local.get $a) (f64.const 1e12))) (then (return (i32.const 0))))
    (local.set $neg (i32.wrap_i64 (i64.shr_u (i64.reinterpret_f64 (local.get $v)) (i64.const 63))))
    (if (i32.and (local.get $neg) (f64.eq (local.get $a) (f64.const 0))) (then (return (i32.const 0))))
    (local.set $k (f64.nearest (f64.mul (local.get $a) (f64.const 1000))))
    (if (f64.ne (f64.div (local.get $k) (f64.const 1000)) (local.get $a)) (then (return (i32.const 0))))
    (local.set $ki (i64.trunc_f64_u (local.get $k)))
    (local.set $whole (i64.div_u (local.get $ki) (i64.const 1000)))
    (local.set $frac (i32.wrap_i64 (i64.sub (local.get $ki) (i64.mul (local.get $whole) (i64.const 1000)))))
    (local.set $wd (call $digits (local.get $whole)))
    (local.set $fd
      (if (result i32) (i32.eqz (local.get $frac)) (then (i32.const 0))
        (else (if (result i32) (i32.eqz (i32.rem_u (local.get $frac) (i32.const 100))) (then (i32.const 1))
          (else (if (result i32) (i32.eqz (i32.rem_u (local.get $frac) (i32.const 10))) (then (i32.const 2))
            (else (i32.const 3))))))))
    (local.set $op (call $head (local.get $op)
      (i32.add (i32.add (local.get $neg) (local.get $wd))
               (if (result i32) (local.get $fd) (then (i32.add (local.get $fd) (i32.const 1))) (else (i32.const 0))))))
    (if (local.get $neg) (then (i32.store8 (local.get $op) (i32.const 0x2d)) (local.set $op (i32.add (local.get $op) (i32.const 1)))))
    (local.set $op (call $putdigits (local.get $op) (local.get $whole) (local.get $wd)))
    (if (local.get $fd)
      (then
        (i32.store8 (local.get $op) (i32.const 0x2e))
        (i32.store8 offset=1 (local.get $op) (i32.add (i32.const 0x30) (i32.div_u (local.get $frac) (i32.const 100))))
        (if (i32.gt_u (local.get $fd) (i32.const 1))
          (then (i32.store8 offset=2 (local.get $op) (i32.add (i32.const 0x30) (i32.rem_u (i32.div_u (local.get $frac) (i32.const 10)) (i32.const 10))))))
        (if (i32.gt_u (local.get $fd) (i32.const 2))
          (then (i32.store8 offset=3 (local.get $op) (i32.add (i32.const 0x30) (i32.rem_u (local.get $frac) (i32.const 10))))))
        (local.set $op (i32.add (local.get $op) (i32.add (local.get $fd) (i32.const 1))))))
    (i32.store16 (local.get $op) (i32.const 0x0a0d))
    (i32.add (local.get $op) (i32.const 2)))

  ;; 10^f as a double, f = 0 … 22 (exact: every product is).
  (func $pow10 (param $f i32) (result f64)
    (local $v f64)
    (local.set $v (f64.const 1))
    (block $d (loop $l
      (br_if $d (i32.eqz (local.get $f)))
      (local.set $v (f64.mul (local.get $v) (f64.const 10)))
      (local.set $f (i32.sub (local.get $f) (i32.const 1)))
      (br $l)))
    (local.get $v))

  ;; The double nearest to D / 10^f, ties to even, as strtod rounds it (the
  ;; port of double.ts `nearest`, on the whole D < 2^64 and i64 arithmetic mod
  ;; 2^64, where |Δ| < 2^63 leaves far more room than the 2^48 there); NaN
  ;; outside [2^-20, 2^53), just below a power of two, or when h reaches 2^42.
  ;; A guess c = M·2^E, moved by whole ulps: with t = 1 − E − f,
  ;; Δ = D·2^max(t,0) − 2M·h, h = 5^f·2^max(−t,0), compares V with c ± ulp/2.
  (func $nearest (param $D i64) (param $f i32) (result f64)
    (local $c f64) (local $bits i64) (local $M i64) (local $E i32) (local $t i32)
    (local $h i64) (local $d i64) (local $step i32) (local $p5 i64) (local $k i32)
    (if (i32.ge_u (local.get $f) (i32.const 19)) (then (return (f64.const nan)))) ;; 5^19 > 2^42
    (local.set $p5 (i64.const 1))
    (local.set $k (local.get $f))
    (block $d5 (loop $l5
      (br_if $d5 (i32.eqz (local.get $k)))
      (local.set $p5 (i64.mul (local.get $p5) (i64.const 5)))
      (local.set $k (i32.sub (local.get $k) (i32.const 1)))
      (br $l5)))
    (local.set $c (f64.div (f64.convert_i64_u (local.get $D)) (call $pow10 (local.get $f))))
    (block $out (loop $try
      (br_if $out (i32.ge_u (local.get $step) (i32.const 8)))
      (local.set $step (i32.add (local.get $step) (i32.const 1)))
      (local.set $bits (i64.reinterpret_f64 (local.get $c)))
      (local.set $E (i32.sub (i32.wrap_i64 (i64.shr_u (local.get $bits) (i64.const 52))) (i32.const 1075)))
      ;; [2^-20, 2^53): E in [-72, 0] (also excludes signs, NaN, infinities)
      (br_if $out (i32.or (i32.gt_s (local.get $E) (i32.const 0)) (i32.lt_s (local.get $E) (i32.const -72))))
      (local.set $M (i64.or (i64.and (local.get $bits) (i64.const 0xfffffffffffff)) (i64.const 0x10000000000000)))
      (local.set $t (i32.sub (i32.sub (i32.const 1) (local.get $E)) (local.get $f)))
      (local.set $h (if (result i64) (i32.lt_s (local.get $t) (i32.const 0))
        (then (i64.shl (local.get $p5) (i64.extend_i32_u (i32.sub (i32.const 0) (local.get $t)))))
        (else (local.get $p5))))
      (br_if $out (i64.ge_u (local.get $h) (i64.const 4398046511104))) ;; 2^42
      (local.set $d (i64.sub
        (if (result i64) (i32.le_s (local.get $t) (i32.const 0)) (then (local.get $D))
          (else (if (result i64) (i32.ge_s (local.get $t) (i32.const 64)) (then (i64.const 0))
            (else (i64.shl (local.get $D) (i64.extend_i32_u (local.get $t)))))))
        (i64.mul (i64.shl (local.get $M) (i64.const 1)) (local.get $h))))
      (if (i64.gt_s (local.get $d) (local.get $h))
        (then (local.set $c (f64.reinterpret_i64 (i64.add (local.get $bits) (i64.const 1)))) (br $try)))
      ;; at M = 2^52 the lower neighbour is only ulp/2 away: below c, leave it to the general path
      (br_if $out (i32.and (i64.eq (local.get $M) (i64.const 0x10000000000000)) (i64.lt_s (local.get $d) (i64.const 0))))
      (if (i64.lt_s (local.get $d) (i64.sub (i64.const 0) (local.get $h)))
        (then (local.set $c (f64.reinterpret_i64 (i64.sub (local.get $bits) (i64.const 1)))) (br $try)))
      (if (i64.eqz (i64.and (local.get $M) (i64.const 1))) (then (return (local.get $c))))
      (if (i64.eq (local.get $d) (local.get $h)) (then (return (f64.reinterpret_i64 (i64.add (local.get $bits) (i64.const 1))))))
      (if (i64.eq (local.get $d) (i64.sub (i64.const 0) (local.get $h))) (then (return (f64.reinterpret_i64 (i64.sub (local.get $bits) (i64.const 1))))))
      (return (local.get $c))))
    (f64.const nan))

  ;; The score in the element $lpdata just read ($sa/$sn/$sv): an integer, or
  ;; text of the fast paths of double.ts parseScoreAt ([-]digits[.digits],
  ;; at most 19 significant digits, at most 22 decimals). Leaves it in $sf and
  ;; returns 1, or returns 0 for any other text (JavaScript parses it).
  (global $sf (mut f64) (f64.const 0))
  (func $lpscore (result i32)
    (local $i i32) (local $end i32) (local $c i32) (local $neg i32) (local $D i64)
    (local $digits i32) (local $frac i32) (local $v f64)
    (if (i32.lt_s (global.get $sa) (i32.const 0))
      (then (global.set $sf (f64.convert_i64_s (global.get $sv))) (return (i32.const 1))))
    (local.set $i (global.get $sa))
    (local.set $end (i32.add (local.get $i) (global.get $sn)))
    (if (i32.and (i32.lt_u (local.get $i) (local.get $end)) (i32.eq (i32.load8_u (local.get $i)) (i32.const 0x2d)))
      (then (local.set $neg (i32.const 1)) (local.set $i (i32.add (local.get $i) (i32.const 1)))))
    (if (i32.ge_u (local.get $i) (local.get $end)) (then (return (i32.const 0))))
    (local.set $frac (i32.const -1))
    (block $done (loop $ch
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $c (i32.load8_u (local.get $i)))
      (if (i32.lt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 10))
        (then
          (local.set $D (i64.add (i64.mul (local.get $D) (i64.const 10)) (i64.extend_i32_u (i32.sub (local.get $c) (i32.const 0x30)))))
          (if (i64.ne (local.get $D) (i64.const 0)) (then (local.set $digits (i32.add (local.get $digits) (i32.const 1)))))
          (if (i32.ge_s (local.get $frac) (i32.const 0)) (then (local.set $frac (i32.add (local.get $frac) (i32.const 1))))))
        (else
          (if (i32.and (i32.eq (local.get $c) (i32.const 0x2e)) (i32.lt_s (local.get $frac) (i32.const 0)))
            (then (local.set $frac (i32.const 0)))
            (else (return (i32.const 0))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $ch)))
    (if (i32.or (i32.eqz (local.get $frac)) (i32.gt_s (local.get $frac) (i32.const 22))) (then (return (i32.const 0))))
    (if (i32.gt_u (local.get $digits) (i32.const 19)) (then (return (i32.const 0))))
    (if (i32.lt_s (local.get $frac) (i32.const 0)) (then (local.set $frac (i32.const 0))))
    (local.set $v
      (if (result f64) (i32.le_u (local.get $digits) (i32.const 15))
        (then (f64.div (f64.convert_i64_u (local.get $D)) (call $pow10 (local.get $frac))))
        (else (call $nearest (local.get $D) (local.get $frac)))))
    (if (f64.ne (local.get $v) (local.get $v)) (then (return (i32.const 0))))
    (global.set $sf (if (result f64) (local.get $neg) (then (f64.neg (local.get $v))) (else (local.get $v))))
    (i32.const 1))

  ;; The score text mem[p, p + n) as $lpscore reads it, or NaN where it
  ;; leaves the text to JavaScript (for tests: the same reading as in lpcheck and run).
  (func (export "scoretext") (param $p i32) (param $n i32) (result f64)
    (global.set $sa (local.get $p))
    (global.set $sn (local.get $n))
    (if (result f64) (call $lpscore) (then (global.get $sf)) (else (f64.const nan))))

  ;; One listpack element at p (format.md 7.2), its data before end: sets
  ;; $sa/$sn/$sv as $rdbstr does and returns the position after its data
  ;; (its backlen is next), or 0 when it runs past end or its encoding byte is
  ;; invalid. The checks of listpack.ts walkListpack, in its order.
  (func $lpdata (param $p i32) (param $end i32) (result i32)
    (local $b i32) (local $n i32) (local $x i32)
    (if (i32.ge_u (local.get $p) (local.get $end)) (then (return (i32.const 0))))
    (local.set $b (i32.load8_u (local.get $p)))
    (global.set $sa (i32.const -1))
    (if (i32.lt_u (local.get $b) (i32.const 0x80))
      (then (global.set $sv (i64.extend_i32_u (local.get $b))) (return (i32.add (local.get $p) (i32.const 1)))))
    (if (i32.lt_u (local.get $b) (i32.const 0xc0))
      (then
        (local.set $n (i32.and (local.get $b) (i32.const 0x3f)))
        (if (i32.gt_u (i32.add (local.get $n) (i32.const 1)) (i32.sub (local.get $end) (local.get $p))) (then (return (i32.const 0))))
        (global.set $sa (i32.add (local.get $p) (i32.const 1)))
        (global.set $sn (local.get $n))
        (return (i32.add (i32.add (local.get $p) (i32.const 1)) (local.get $n)))))
    (if (i32.lt_u (local.get $b) (i32.const 0xe0))
      (then
        (if (i32.gt_u (i32.add (local.get $p) (i32.const 2)) (local.get $end)) (then (return (i32.const 0))))
        (local.set $x (i32.or (i32.shl (i32.and (local.get $b) (i32.const 0x1f)) (i32.const 8)) (i32.load8_u offset=1 (local.get $p))))
        (if (i32.ge_u (local.get $x) (i32.const 4096)) (then (local.set $x (i32.sub (local.get $x) (i32.const 8192)))))
        (global.set $sv (i64.extend_i32_s (local.get $x)))
        (return (i32.add (local.get $p) (i32.const 2)))))
    (if (i32.lt_u (local.get $b) (i32.const 0xf0))
      (then
        (if (i32.gt_u (i32.add (local.get $p) (i32.const 2)) (local.get $end)) (then (return (i32.const 0))))
        (local.set $n (i32.or (i32.shl (i32.and (local.get $b) (i32.const 0x0f)) (i32.const 8)) (i32.load8_u offset=1 (local.get $p))))
        (if (i32.gt_u (i32.add (local.get $n) (i32.const 2)) (i32.sub (local.get $end) (local.get $p))) (then (return (i32.const 0))))
        (global.set $sa (i32.add (local.get $p) (i32.const 2)))
        (global.set $sn (local.get $n))
        (return (i32.add (i32.add (local.get $p) (i32.const 2)) (local.get $n)))))
    (if (i32.eq (local.get $b) (i32.const 0xf0))
      (then
        (if (i32.gt_u (i32.add (local.get $p) (i32.const 5)) (local.get $end)) (then (return (i32.const 0))))
        (local.set $n (i32.load offset=1 (local.get $p)))
        (if (i32.gt_u (local.get $n) (i32.sub (i32.sub (local.get $end) (local.get $p)) (i32.const 5))) (then (return (i32.const 0))))
        (global.set $sa (i32.add (local.get $p) (i32.const 5)))
        (global.set $sn (local.get $n))
        (return (i32.add (i32.add (local.get $p) (i32.const 5)) (local.get $n)))))
    (if (i32.eq (local.get $b) (i32.const 0xf1))
      (then
        (if (i32.gt_u (i32.add (local.get $p) (i32.const 3)) (local.get $end)) (then (return (i32.const 0))))
        (global.set $sv (i64.extend_i32_s (i32.load16_s offset=1 (local.get $p))))
        (return (i32.add (local.get $p) (i32.const 3)))))
    (if (i32.eq (local.get $b) (i32.const 0xf2))
      (then
        (if (i32.gt_u (i32.add (local.get $p) (i32.const 4)) (local.get $end)) (then (return (i32.const 0))))
        (global.set $sv (i64.extend_i32_s (i32.shr_s (i32.load (local.get $p)) (i32.const 8))))
        (return (i32.add (local.get $p) (i32.const 4)))))
    (if (i32.eq (local.get $b) (i32.const 0xf3))
      (then
        (if (i32.gt_u (i32.add (local.get $p) (i32.const 5)) (local.get $end)) (then (return (i32.const 0))))
        (global.set $sv (i64.extend_i32_s (i32.load offset=1 (local.get $p))))
        (return (i32.add (local.get $p) (i32.const 5)))))
    (if (i32.eq (local.get $b) (i32.const 0xf4))
      (then
        (if (i32.gt_u (i32.add (local.get $p) (i32.const 9)) (local.get $end)) (then (return (i32.const 0))))
        (global.set $sv (i64.load offset=1 (local.get $p)))
        (return (i32.add (local.get $p) (i32.const 9)))))
    (i32.const 0))

  ;; Bytes the backlen of an element of l bytes takes (listpack.ts backlenSize).
  (func $backlenSize (param $l i32) (result i32)
    (if (i32.le_u (local.get $l) (i32.const 127)) (then (return (i32.const 1))))
    (if (i32.lt_u (local.get $l) (i32.const 16383)) (then (return (i32.const 2))))
    (if (i32.lt_u (local.get $l) (i32.const 2097151)) (then (return (i32.const 3))))
    (if (i32.lt_u (local.get $l) (i32.const 268435455)) (then (return (i32.const 4))))
    (i32.const 5))

  ;; Checks the listpack of n bytes at p as listpack.ts walkListpack does
  ;; (every check it makes: header, terminator, each element's encoding,
  ;; bounds and backlen, the count), and that no element's RESP would be
  ;; over outMax bytes; with zset 1, also that every second element is a
  ;; score $lpscore reads and $score writes (written at 65536, the output
  ;; area, as a scratch). Returns its number of elements, or -1 when any check
  ;; fails (walkListpack then finds which, or JavaScript reads the scores).
  (func (export "lpcheck") (param $p i32) (param $n i32) (param $outMax i32) (param $zset i32) (result i32)
    (local $end i32) (local $q i32) (local $l i32) (local $bl i32) (local $k i32) (local $c i32)
    (local $back i32) (local $found i32) (local $count i32)
    (if (i32.lt_u (local.get $n) (i32.const 7)) (then (return (i32.const -1))))
    (if (i32.ne (i32.load (local.get $p)) (local.get $n)) (then (return (i32.const -1))))
    (local.set $count (i32.load16_u offset=4 (local.get $p)))
    (local.set $end (i32.sub (i32.add (local.get $p) (local.get $n)) (i32.const 1)))
    (if (i32.ne (i32.load8_u (local.get $end)) (i32.const 0xff)) (then (return (i32.const -1))))
    (local.set $p (i32.add (local.get $p) (i32.const 6)))
    (block $done (loop $el
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $q (call $lpdata (local.get $p) (local.get $end)))
      (if (i32.eqz (local.get $q)) (then (return (i32.const -1))))
      (if (i32.gt_u (i32.add (call $textlen) (i32.const 64)) (local.get $outMax)) (then (return (i32.const -1))))
      (if (i32.and (local.get $zset) (i32.and (local.get $found) (i32.const 1)))
        (then
          (if (i32.eqz (call $lpscore)) (then (return (i32.const -1))))
          (if (i32.eqz (call $score (i32.const 65536) (global.get $sf))) (then (return (i32.const -1))))))
      (local.set $l (i32.sub (local.get $q) (local.get $p)))
      (local.set $bl (call $backlenSize (local.get $l)))
      (if (i32.gt_u (local.get $bl) (i32.sub (local.get $end) (local.get $q))) (then (return (i32.const -1))))
      (local.set $back (i32.const 0))
      (local.set $k (i32.const 0))
      (loop $b
        (local.set $c (i32.load8_u (i32.add (local.get $q) (local.get $k))))
        ;; the first byte has its high bit clear, the others set
        (if (i32.ne (i32.eqz (local.get $k)) (i32.eqz (i32.and (local.get $c) (i32.const 0x80)))) (then (return (i32.const -1))))
        (local.set $back (i32.add (i32.mul (local.get $back) (i32.const 128)) (i32.and (local.get $c) (i32.const 0x7f))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br_if $b (i32.lt_u (local.get $k) (local.get $bl))))
      (if (i32.ne (local.get $back) (local.get $l)) (then (return (i32.const -1))))
      (local.set $p (i32.add (local.get $q) (local.get $bl)))
      (local.set $found (i32.add (local.get $found) (i32.const 1)))
      (br $el)))
    (if (i32.ne (local.get $p) (local.get $end)) (then (return (i32.const -1))))
    (if (i32.and (i32.ne (local.get $count) (i32.const 0xffff)) (i32.ne (local.get $count) (local.get $found))) (then (return (i32.const -1))))
    (local.get $found))

  ;; The element at p of a listpack lpcheck accepted, before end, as $rdbstr:
  ;; returns the position after its backlen (0 past end).
  (func $lpstr (param $p i32) (param $end i32) (result i32)
    (local $q i32)
    (local.set $q (call $lpdata (local.get $p) (local.get $end)))
    (if (i32.eqz (local.get $q)) (then (return (i32.const 0))))
    (i32.add (local.get $q) (call $backlenSize (i32.sub (local.get $q) (local.get $p)))))

  ;; The integer element at p (of a listpack lpcheck accepted) into $sv;
  ;; returns the position after it, or 0 past end or for a string element.
  (func $lpint (param $p i32) (param $end i32) (result i32)
    (local.set $p (call $lpstr (local.get $p) (local.get $end)))
    (if (i32.ge_s (global.get $sa) (i32.const 0)) (then (return (i32.const 0))))
    (local.get $p))

  ;; $lpint, and $sv within [0, max]; 0 otherwise.
  (func $lpcount (param $p i32) (param $end i32) (param $max i32) (result i32)
    (local.set $p (call $lpint (local.get $p) (local.get $end)))
    (if (i32.eqz (local.get $p)) (then (return (i32.const 0))))
    (if (i64.gt_u (global.get $sv) (i64.extend_i32_u (local.get $max))) (then (return (i32.const 0))))
    (local.get $p))

  ;; n bytes from src to dst, 8 at a time (up to 7 bytes past dst + n written over).
  (func $copy (param $dst i32) (param $src i32) (param $n i32)
    (local $k i32)
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $k) (local.get $n)))
      (i64.store (i32.add (local.get $dst) (local.get $k)) (i64.load (i32.add (local.get $src) (local.get $k))))
      (local.set $k (i32.add (local.get $k) (i32.const 8)))
      (br $l))))

  ;; A big-endian u64 at p.
  (func $be64 (param $p i32) (result i64)
    (local $v i64) (local $k i32)
    (loop $l
      (local.set $v (i64.or (i64.shl (local.get $v) (i64.const 8)) (i64.load8_u (i32.add (local.get $p) (local.get $k)))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $k) (i32.const 8))))
    (local.get $v))

  ;; The element at p as a bulk string at out when it fits below outEnd (8
  ;; bytes of room after it are written over); the position after it, or 0.
  (func $lpbulk (param $p i32) (param $end i32) (param $out i32) (param $outEnd i32) (result i32)
    (local $n i32)
    (if (i32.eqz (call $lpstr (local.get $p) (local.get $end))) (then (return (i32.const 0))))
    (local.set $n (call $textlen))
    (if (i32.gt_u (i32.add (local.get $n) (i32.const 32)) (i32.sub (local.get $outEnd) (local.get $out))) (then (return (i32.const 0))))
    (call $bulk (local.get $out) (local.get $n)))

  ;; One stream node (format.md 8.1) to XADD commands at out, below outEnd:
  ;; its master ID (16 bytes, big-endian) at 32800, its listpack of n bytes at
  ;; p (one lpcheck accepted), "$4 XADD $len key" at pre (preLen bytes). The
  ;; checks of stream.ts StreamNodeWalk: returns the number of live entries
  ;; written (the output's end at 32780), or -1 when a check fails, an
  ;; integer of the layout is a string or out of the range taken here, or
  ;; the output would not fit — then the decoder walks the node in
  ;; JavaScript (which names the fault) and this output is not used.
  ;; Master fields: their positions at 33024, at most 256 of them.
  (func (export "xadd") (param $p i32) (param $n i32) (param $pre i32) (param $preLen i32)
      (param $out i32) (param $outEnd i32) (result i32)
    (local $end i32) (local $q i32) (local $count i32) (local $total i32) (local $nf i32) (local $k i32)
    (local $e i32) (local $flags i32) (local $msd i64) (local $pairs i32) (local $back i32) (local $live i32)
    (local $ms i64) (local $seq i64) (local $a i32) (local $b i32) (local $same i32) (local $give i32)
    (local $ms0 i64) (local $seq0 i64)
    (local.set $ms0 (call $be64 (i32.const 32800)))
    (local.set $seq0 (call $be64 (i32.const 32808)))
    (local.set $end (i32.sub (i32.add (local.get $p) (local.get $n)) (i32.const 1)))
    (local.set $q (call $lpcount (i32.add (local.get $p) (i32.const 6)) (local.get $end) (i32.const 0x3fffffff)))
    (if (i32.eqz (local.get $q)) (then (return (i32.const -1))))
    (local.set $count (i32.wrap_i64 (global.get $sv)))
    (local.set $q (call $lpcount (local.get $q) (local.get $end) (i32.const 0x3fffffff)))
    (if (i32.eqz (local.get $q)) (then (return (i32.const -1))))
    (local.set $total (i32.add (local.get $count) (i32.wrap_i64 (global.get $sv))))
    (local.set $q (call $lpcount (local.get $q) (local.get $end) (i32.const 256)))
    (if (i32.eqz (local.get $q)) (then (return (i32.const -1))))
    (local.set $nf (i32.wrap_i64 (global.get $sv)))
    (block $mdone (loop $mf
      (br_if $mdone (i32.ge_u (local.get $k) (local.get $nf)))
      (i32.store (i32.add (i32.const 33024) (i32.shl (local.get $k) (i32.const 2))) (local.get $q))
      (local.set $q (call $lpstr (local.get $q) (local.get $end)))
      (if (i32.eqz (local.get $q)) (then (return (i32.const -1))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $mf)))
    (local.set $q (call $lpcount (local.get $q) (local.get $end) (i32.const 0)))
    (if (i32.eqz (local.get $q)) (then (return (i32.const -1))))
    (block $edone (loop $entry
      (br_if $edone (i32.ge_u (local.get $e) (local.get $total)))
      (local.set $q (call $lpcount (local.get $q) (local.get $end) (i32.const 3)))
      (if (i32.eqz (local.get $q)) (then (return (i32.const -1))))
      (local.set $flags (i32.wrap_i64 (global.get $sv)))
      (local.set $q (call $lpint (local.get $q) (local.get $end)))
      (if (i32.eqz (local.get $q)) (then (return (i32.const -1))))
      (local.set $msd (global.get $sv))
      (local.set $q (call $lpint (local.get $q) (local.get $end)))
      (if (i32.eqz (local.get $q)) (then (return (i32.const -1))))
      (local.set $ms (i64.add (local.get $ms0) (local.get $msd)))
      (local.set $seq (i64.add (local.get $seq0) (global.get $sv)))
      (local.set $same (i32.and (local.get $flags) (i32.const 2)))
      (local.set $give (i32.eqz (i32.and (local.get $flags) (i32.const 1))))
      (if (local.get $same)
        (then
          (local.set $pairs (local.get $nf))
          (local.set $back (i32.add (local.get $nf) (i32.const 3))))
        (else
          (local.set $q (call $lpcount (local.get $q) (local.get $end) (i32.const 0xfffff)))
          (if (i32.eqz (local.get $q)) (then (return (i32.const -1))))
          (local.set $pairs (i32.wrap_i64 (global.get $sv)))
          (local.set $back (i32.add (i32.shl (local.get $pairs) (i32.const 1)) (i32.const 4)))))
      (if (local.get $give)
        (then
          ;; "*N", the prefix, "$len ms-seq"
          (if (i32.gt_u (i32.add (local.get $preLen) (i32.const 96)) (i32.sub (local.get $outEnd) (local.get $out))) (then (return (i32.const -1))))
          (local.set $k (call $head (local.get $out) (i32.add (i32.const 3) (i32.shl (local.get $pairs) (i32.const 1)))))
          (i32.store8 (local.get $out) (i32.const 0x2a)) ;; "*N", not "$N"
          (call $copy (local.get $k) (local.get $pre) (local.get $preLen))
          (local.set $out (i32.add (local.get $k) (local.get $preLen)))
          (local.set $a (call $digits (local.get $ms)))
          (local.set $b (call $digits (local.get $seq)))
          (local.set $out (call $head (local.get $out) (i32.add (i32.add (local.get $a) (local.get $b)) (i32.const 1))))
          (local.set $out (call $putdigits (local.get $out) (local.get $ms) (local.get $a)))
          (i32.store8 (local.get $out) (i32.const 0x2d))
          (local.set $out (call $putdigits (i32.add (local.get $out) (i32.const 1)) (local.get $seq) (local.get $b)))
          (i32.store16 (local.get $out) (i32.const 0x0a0d))
          (local.set $out (i32.add (local.get $out) (i32.const 2)))
          (local.set $live (i32.add (local.get $live) (i32.const 1)))))
      (local.set $k (i32.const 0))
      (block $fdone (loop $field
        (br_if $fdone (i32.ge_u (local.get $k) (local.get $pairs)))
        (if (local.get $same)
          (then
            (if (local.get $give)
              (then
                (local.set $out (call $lpbulk (i32.load (i32.add (i32.const 33024) (i32.shl (local.get $k) (i32.const 2)))) (local.get $end)
                                              (local.get $out) (local.get $outEnd)))
                (if (i32.eqz (local.get $out)) (then (return (i32.const -1)))))))
          (else
            (if (local.get $give)
              (then
                (local.set $out (call $lpbulk (local.get $q) (local.get $end) (local.get $out) (local.get $outEnd)))
                (if (i32.eqz (local.get $out)) (then (return (i32.const -1))))))
            (local.set $q (call $lpstr (local.get $q) (local.get $end)))
            (if (i32.eqz (local.get $q)) (then (return (i32.const -1))))))
        ;; the value
        (if (local.get $give)
          (then
            (local.set $out (call $lpbulk (local.get $q) (local.get $end) (local.get $out) (local.get $outEnd)))
            (if (i32.eqz (local.get $out)) (then (return (i32.const -1))))))
        (local.set $q (call $lpstr (local.get $q) (local.get $end)))
        (if (i32.eqz (local.get $q)) (then (return (i32.const -1))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $field)))
      (local.set $q (call $lpint (local.get $q) (local.get $end)))
      (if (i32.eqz (local.get $q)) (then (return (i32.const -1))))
      (if (i64.ne (global.get $sv) (i64.extend_i32_u (local.get $back))) (then (return (i32.const -1))))
      (local.set $e (i32.add (local.get $e) (i32.const 1)))
      (br $entry)))
    (if (i32.ne (local.get $q) (local.get $end)) (then (return (i32.const -1))))
    ;; live entries: the count the node states
    (if (i32.ne (local.get $live) (local.get $count)) (then (return (i32.const -1))))
    (i32.store (i32.const 32780) (local.get $out))
    (local.get $live))

  ;; Checks the intset of n bytes at p as intset.ts walkIntset does
  ;; (encoding 2, 4 or 8, its length filling the blob, members strictly
  ;; ascending); returns its number of members, or -1 (walkIntset then says
  ;; why).
  (func (export "intcheck") (param $p i32) (param $n i32) (result i32)
    (local $enc i32) (local $len i32) (local $q i32) (local $end i32) (local $v i64) (local $prev i64)
    (if (i32.lt_u (local.get $n) (i32.const 8)) (then (return (i32.const -1))))
    (local.set $enc (i32.load (local.get $p)))
    (local.set $len (i32.load offset=4 (local.get $p)))
    (if (i32.and (i32.and (i32.ne (local.get $enc) (i32.const 2)) (i32.ne (local.get $enc) (i32.const 4))) (i32.ne (local.get $enc) (i32.const 8)))
      (then (return (i32.const -1))))
    (if (i64.ne (i64.add (i64.const 8) (i64.mul (i64.extend_i32_u (local.get $len)) (i64.extend_i32_u (local.get $enc)))) (i64.extend_i32_u (local.get $n)))
      (then (return (i32.const -1))))
    (local.set $q (i32.add (local.get $p) (i32.const 8)))
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (block $done (loop $m
      (br_if $done (i32.ge_u (local.get $q) (local.get $end)))
      (local.set $v (call $intat (local.get $q) (local.get $enc)))
      (if (i32.and (i32.gt_u (local.get $q) (i32.add (local.get $p) (i32.const 8))) (i64.le_s (local.get $v) (local.get $prev)))
        (then (return (i32.const -1))))
      (local.set $prev (local.get $v))
      (local.set $q (i32.add (local.get $q) (local.get $enc)))
      (br $m)))
    (local.get $len))

  ;; The intset member of enc bytes at p, before lim, as $rdbstr reads an
  ;; integer; returns the position after it, or 0 past lim.
  (func $intel (param $p i32) (param $lim i32) (param $enc i32) (result i32)
    (if (i32.gt_u (i32.add (local.get $p) (local.get $enc)) (local.get $lim)) (then (return (i32.const 0))))
    (global.set $sa (i32.const -1))
    (global.set $sv (call $intat (local.get $p) (local.get $enc)))
    (i32.add (local.get $p) (local.get $enc)))

  ;; The little-endian signed integer of enc (2, 4 or 8) bytes at p.
  (func $intat (param $p i32) (param $enc i32) (result i64)
    (if (i32.eq (local.get $enc) (i32.const 2)) (then (return (i64.extend_i32_s (i32.load16_s (local.get $p))))))
    (if (i32.eq (local.get $enc) (i32.const 4)) (then (return (i64.extend_i32_s (i32.load (local.get $p))))))
    (i64.load (local.get $p)))

  ;; Units of RDB strings in [p, lim) to RESP bulk strings at out, at most
  ;; max units: shape 1 one string (list/set member), 2 two (hash field and
  ;; value), 3 a string and a little-endian binary score (written score
  ;; first); shapes 4 and 5 as 1 and 2, of listpack elements (of a listpack
  ;; lpcheck accepted, lim its terminator), 6 a listpack sorted set's
  ;; member and score element (written score first, as 3), and 7, 8, 9 an
  ;; intset member of 2, 4 or 8 bytes (of an intset intcheck accepted). A unit's output must fit below outEnd (8 bytes of room after it
  ;; are written over). Stops with 0 after max units, 1 at a unit not whole
  ;; before lim, 2 after the unit that fills the batch (countRoom units, or
  ;; sizeRoom bytes counted: strings' text lengths, plus 24 a sorted-set
  ;; member), 3 at a unit whose output might not fit, 4 at a unit of another
  ;; kind (LZF, a 64-bit length, a score off the fast path). Results at 32776.
  (func (export "run") (param $p i32) (param $lim i32) (param $max i32) (param $shape i32)
      (param $out i32) (param $outEnd i32) (param $countRoom i32) (param $sizeRoom i32) (result i32)
    (local $q i32) (local $q2 i32) (local $taken i32) (local $size i32) (local $reason i32)
    (local $a1 i32) (local $n1 i32) (local $v1 i64) (local $len1 i32) (local $len2 i32) (local $f f64)
    (local $o i32) (local $a2 i32) (local $n2 i32) (local $v2 i64) (local $lp i32) (local $pairs i32)
    (local.set $lp (i32.and (i32.ge_u (local.get $shape) (i32.const 4)) (i32.lt_u (local.get $shape) (i32.const 7))))
    (local.set $pairs (i32.or (i32.or (i32.eq (local.get $shape) (i32.const 2)) (i32.eq (local.get $shape) (i32.const 5)))
                              (i32.eq (local.get $shape) (i32.const 6))))
    (block $stop (loop $unit
      (local.set $reason (i32.const 0))
      (br_if $stop (i32.ge_u (local.get $taken) (local.get $max)))
      (local.set $reason (i32.const 1))
      (local.set $q
        (if (result i32) (i32.ge_u (local.get $shape) (i32.const 7))
          (then (call $intel (local.get $p) (local.get $lim) (i32.shl (i32.const 1) (i32.sub (local.get $shape) (i32.const 6)))))
          (else (if (result i32) (local.get $lp) (then (call $lpstr (local.get $p) (local.get $lim)))
                                                 (else (call $rdbstr (local.get $p) (local.get $lim)))))))
      (br_if $stop (i32.eqz (local.get $q)))
      (local.set $reason (i32.const 4))
      (br_if $stop (i32.eq (local.get $q) (i32.const 1)))
      (local.set $len1 (call $textlen))
      (local.set $len2 (i32.const 0))
      (if (local.get $pairs)
        (then
          (local.set $a1 (global.get $sa)) (local.set $n1 (global.get $sn)) (local.set $v1 (global.get $sv))
          (local.set $reason (i32.const 1))
          (local.set $q2 (if (result i32) (local.get $lp) (then (call $lpstr (local.get $q) (local.get $lim)))
                                                          (else (call $rdbstr (local.get $q) (local.get $lim)))))
          (br_if $stop (i32.eqz (local.get $q2)))
          (local.set $reason (i32.const 4))
          (br_if $stop (i32.eq (local.get $q2) (i32.const 1)))
          (local.set $len2 (call $textlen))
          (if (i32.eq (local.get $shape) (i32.const 6))
            (then
              (br_if $stop (i32.eqz (call $lpscore)))
              (local.set $f (global.get $sf))
              (local.set $len2 (i32.const 0)))))
        (else (if (i32.eq (local.get $shape) (i32.const 3))
          (then
            (local.set $reason (i32.const 1))
            (br_if $stop (i32.gt_u (i32.add (local.get $q) (i32.const 8)) (local.get $lim)))
            (local.set $f (f64.load (local.get $q)))
            (local.set $q2 (i32.add (local.get $q) (i32.const 8))))
          (else (local.set $q2 (local.get $q))))))
      (local.set $reason (i32.const 3))
      (br_if $stop (i32.gt_u (i32.add (i32.add (local.get $len1) (local.get $len2)) (i32.const 64))
                             (i32.sub (local.get $outEnd) (local.get $out))))
      (if (i32.or (i32.eq (local.get $shape) (i32.const 3)) (i32.eq (local.get $shape) (i32.const 6)))
        (then
          (local.set $o (call $score (local.get $out) (local.get $f)))
          (local.set $reason (i32.const 4))
          (br_if $stop (i32.eqz (local.get $o)))
          ;; the member, read first (shape 6: its element's values were kept)
          (if (i32.eq (local.get $shape) (i32.const 6))
            (then (global.set $sa (local.get $a1)) (global.set $sn (local.get $n1)) (global.set $sv (local.get $v1))))
          (local.set $out (call $bulk (local.get $o) (local.get $len1)))
          (local.set $size (i32.add (local.get $size) (i32.const 24))))
        (else (if (local.get $pairs)
          (then
            ;; the field, read first, then the value
            (local.set $a2 (global.get $sa)) (local.set $n2 (global.get $sn)) (local.set $v2 (global.get $sv))
            (global.set $sa (local.get $a1)) (global.set $sn (local.get $n1)) (global.set $sv (local.get $v1))
            (local.set $out (call $bulk (local.get $out) (local.get $len1)))
            (global.set $sa (local.get $a2)) (global.set $sn (local.get $n2)) (global.set $sv (local.get $v2))
            (local.set $out (call $bulk (local.get $out) (local.get $len2))))
          (else (local.set $out (call $bulk (local.get $out) (local.get $len1)))))))
      (local.set $size (i32.add (local.get $size) (i32.add (local.get $len1) (local.get $len2))))
      (local.set $taken (i32.add (local.get $taken) (i32.const 1)))
      (local.set $p (local.get $q2))
      (local.set $reason (i32.const 2))
      (br_if $stop (i32.ge_u (local.get $taken) (local.get $countRoom)))
      (br_if $stop (i32.ge_u (local.get $size) (local.get $sizeRoom)))
      (br $unit)))
    (i32.store (i32.const 32776) (local.get $p))
    (i32.store (i32.const 32780) (local.get $out))
    (i32.store (i32.const 32784) (local.get $taken))
    (i32.store (i32.const 32788) (local.get $size))
    (local.get $reason))
)
