;; Prototype kernel for bench/wasm-bulk.mjs (not used by rdbkit): RDB strings
;; with 6- or 14-bit lengths in [ip, end) -> RESP bulk strings at op, at most
;; max of them; stops at anything else. Leaves ipOut/opOut where it stopped.
(module
  (memory (export "mem") 256)
  (global $ipOut (export "ipOut") (mut i32) (i32.const 0))
  (global $opOut (export "opOut") (mut i32) (i32.const 0))
  ;; RDB strings (6/14-bit lengths) in [ip, end) -> RESP bulks at op; at most max; returns how many
  (func (export "run") (param $ip i32) (param $end i32) (param $op i32) (param $max i32) (result i32)
    (local $n i32) (local $b i32) (local $len i32) (local $src i32) (local $k i32) (local $t i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $n) (local.get $max)))
        (br_if $done (i32.ge_u (local.get $ip) (local.get $end)))
        (local.set $b (i32.load8_u (local.get $ip)))
        (if (i32.lt_u (local.get $b) (i32.const 0x40))
          (then (local.set $len (local.get $b)) (local.set $src (i32.add (local.get $ip) (i32.const 1))))
          (else
            (br_if $done (i32.ge_u (local.get $b) (i32.const 0x80)))
            (br_if $done (i32.ge_u (i32.add (local.get $ip) (i32.const 1)) (local.get $end)))
            (local.set $len (i32.or (i32.shl (i32.and (local.get $b) (i32.const 0x3f)) (i32.const 8)) (i32.load8_u offset=1 (local.get $ip))))
            (local.set $src (i32.add (local.get $ip) (i32.const 2)))))
        (br_if $done (i32.gt_u (i32.add (local.get $src) (local.get $len)) (local.get $end)))
        ;; $len\r\n: k digits written backwards from op+1+k
        (i32.store8 (local.get $op) (i32.const 0x24))
        (local.set $k (i32.const 1))
        (if (i32.ge_u (local.get $len) (i32.const 10)) (then (local.set $k (i32.const 2))))
        (if (i32.ge_u (local.get $len) (i32.const 100)) (then (local.set $k (i32.const 3))))
        (if (i32.ge_u (local.get $len) (i32.const 1000)) (then (local.set $k (i32.const 4))))
        (if (i32.ge_u (local.get $len) (i32.const 10000)) (then (local.set $k (i32.const 5))))
        (local.set $op (i32.add (local.get $op) (i32.add (i32.const 1) (local.get $k))))
        (local.set $b (local.get $op))
        (local.set $t (local.get $len))
        (loop $dig
          (local.set $b (i32.sub (local.get $b) (i32.const 1)))
          (i32.store8 (local.get $b) (i32.add (i32.const 0x30) (i32.rem_u (local.get $t) (i32.const 10))))
          (local.set $t (i32.div_u (local.get $t) (i32.const 10)))
          (br_if $dig (local.get $t)))
        (i32.store16 (local.get $op) (i32.const 0x0a0d))
        (local.set $op (i32.add (local.get $op) (i32.const 2)))
        ;; bytes, 8 at a time (room after the output is the caller's)
        (local.set $k (i32.const 0))
        (block $cd (loop $cp
          (br_if $cd (i32.ge_u (local.get $k) (local.get $len)))
          (i64.store (i32.add (local.get $op) (local.get $k)) (i64.load (i32.add (local.get $src) (local.get $k))))
          (local.set $k (i32.add (local.get $k) (i32.const 8)))
          (br $cp)))
        (local.set $op (i32.add (local.get $op) (local.get $len)))
        (i32.store16 (local.get $op) (i32.const 0x0a0d))
        (local.set $op (i32.add (local.get $op) (i32.const 2)))
        (local.set $ip (i32.add (local.get $src) (local.get $len)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $next)))
    (global.set $ipOut (local.get $ip))
    (global.set $opOut (local.get $op))
    (local.get $n))
)
