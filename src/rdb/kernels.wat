;; Hot kernels of rdbkit in WebAssembly, written by hand: CRC-64/Jones and
;; LZF decompression (format.md 2.7 and 4.1). src/rdb/kernels.ts loads them;
;; src/rdb/kernels.wasm.ts holds the assembled bytes (`npm run kernels`, which
;; test/rdb/kernels.test.ts checks are current). The JavaScript versions in
;; crc64.ts and lzf.ts stay the reference and the fallback.
;;
;; Memory: [0, 32768) the 16 CRC slicing tables (256 little-endian u64 each;
;; table s at 2048 * s, filled by kernels.ts), [32768, 32776) the CRC result,
;; [65536, ...) data the caller copies in.
(module
  (memory (export "mem") 2)

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
  ;; up to 7 bytes after a run are written too: the memory must reach 8 bytes
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
          ;; 8 bytes at a time (memory.copy costs a call for such short runs): up to
          ;; 7 bytes past the run are written, into output not yet made (the
          ;; caller leaves 8 bytes of room after outEnd), and read from past it
          (local.set $n (i32.const 0))
          (loop $lit
            (i64.store (i32.add (local.get $op) (local.get $n)) (i64.load (i32.add (local.get $ip) (local.get $n))))
            (local.set $n (i32.add (local.get $n) (i32.const 8)))
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
)
